package browsercookies

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/pierrec/lz4/v4"
)

// Firefox's mozlz4 files (sessionstore.jsonlz4, recovery.jsonlz4): the
// magic "mozLz40\0", the decompressed size as a little-endian uint32, and
// one LZ4 block.

var mozlz4Magic = []byte("mozLz40\x00")

// maxMozLz4 bounds the decompressed size a mozlz4 header may claim.
const maxMozLz4 = 256 << 20

// errBadMozLz4 matches the error for data that is not a valid mozlz4 file.
var errBadMozLz4 = errors.New("browsercookies: not a mozlz4 file")

// decodeMozLz4 returns the contents of a mozlz4 file.
func decodeMozLz4(data []byte) ([]byte, error) {
	if len(data) < len(mozlz4Magic)+4 || !bytes.Equal(data[:len(mozlz4Magic)], mozlz4Magic) {
		return nil, errBadMozLz4
	}
	n := binary.LittleEndian.Uint32(data[len(mozlz4Magic):])
	block := data[len(mozlz4Magic)+4:]
	// An LZ4 block grows at most about 255-fold (a match's length takes
	// a byte per 255): a larger claim is a lie, refused before the
	// buffer is made.
	if n > maxMozLz4 || int64(n) > 256*int64(len(block))+64 {
		return nil, fmt.Errorf("%w: claims %d bytes", errBadMozLz4, n)
	}
	out := make([]byte, n)
	k, err := lz4.UncompressBlock(block, out)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadMozLz4, err)
	}
	if k != int(n) {
		return nil, fmt.Errorf("%w: %d bytes, header says %d", errBadMozLz4, k, n)
	}
	return out, nil
}
