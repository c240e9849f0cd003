//go:build unix

package pack

import (
	"io/fs"
	"syscall"
)

// nonBlock keeps open(2) from waiting for a FIFO's writer.
const nonBlock = syscall.O_NONBLOCK

// linkInfo returns a file's identity and link count.
func linkInfo(info fs.FileInfo) (id fileID, links uint64, ok bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, 0, false
	}
	return fileID{uint64(st.Dev), uint64(st.Ino)}, uint64(st.Nlink), true
}
