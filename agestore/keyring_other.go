//go:build !(linux || freebsd || openbsd || netbsd || dragonfly)

package agestore

// sessionBus is nil: the keyring of this platform needs no D-Bus.
func sessionBus() error { return nil }
