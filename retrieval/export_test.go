package retrieval

// crashedLog is a size no log has: relock refuses every write of an Index
// after Crash.
const crashedLog = staleView

// Crash lets go of the index's files as the end of its process would, so
// that a test can open the directory again in this process as a restart
// after a crash: the log and the directory's lock are closed with nothing
// written (Close writes nothing: it waits for the background merges, a
// crash after them, which would otherwise write beside the next writer),
// and the Index writes no more. Reading the Index goes on working.
func (ix *Index) Crash() {
	_ = ix.Close()
	ix.fileMu.Lock()
	defer ix.fileMu.Unlock()
	ix.files.closedLog = crashedLog
}
