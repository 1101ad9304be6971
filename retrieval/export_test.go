package retrieval

// crashedLog is a size no log has: relock refuses every write of an Index
// after Crash.
const crashedLog = -2

// Crash lets go of the index's files as the end of its process would, so
// that a test can open the directory again in this process as a restart
// after a crash: the log and the directory's lock are closed with nothing
// written, and the Index writes no more. Unlike a crash it waits for the
// background merges first (a crash after them), which would otherwise
// write beside the next writer. Reading the Index goes on working.
func (ix *Index) Crash() {
	ix.addMu.Lock()
	defer ix.addMu.Unlock()
	ix.stopIdleMerge()
	ix.waitMerges()
	ix.WaitVectorCheck()
	ix.fileMu.Lock()
	defer ix.fileMu.Unlock()
	if ix.files.log != nil {
		ix.files.log.Close()
		ix.files.log = nil
	}
	if ix.files.lock != nil {
		ix.files.lock.Close()
	}
	ix.files.lock, ix.files.locked = nil, false
	ix.files.closedLog = crashedLog
}
