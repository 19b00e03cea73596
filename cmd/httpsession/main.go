// Command httpsession drives an httpsession session from the shell.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "httpsession: demo not yet available")
}
