//go:build !unix

package bench

// raiseOpenFiles cannot raise the limit here; it tries need anyway.
func raiseOpenFiles(need int) (int, string) {
	return need, "cannot read or raise the open-file limit on this system; trying anyway"
}
