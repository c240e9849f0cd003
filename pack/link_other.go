//go:build !unix

package pack

import "io/fs"

// nonBlock: elsewhere opening a file never waits for a writer.
const nonBlock = 0

// linkInfo: hard links are not detected on this system.
func linkInfo(fs.FileInfo) (id fileID, links uint64, ok bool) { return fileID{}, 0, false }
