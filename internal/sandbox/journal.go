package sandbox

// Persistence: a snapshot (the state file, rewritten atomically) plus an
// append-only journal next to it (FILE.journal), one JSON line per
// committed change. A change costs one appended line, not a rewrite of the
// whole state, and concurrent changes share one fsync (group commit): the
// first waiter writes and syncs every line queued so far while the others
// queue behind it.
//
// A request is answered only after the lines its answer depends on are
// synced, so no acknowledged change is lost to kill -9. Loading reads the
// snapshot and replays the journal; a torn last line (a write cut short by
// a crash, never acknowledged) is ignored.
//
// When the journal outgrows the snapshot (and at least minCompactBytes) it
// is compacted: with the state locked, the journal is renamed FILE.journal.old
// and a fresh one started; then, in the background, the snapshot is
// rewritten and FILE.journal.old removed. A crash in between leaves both
// journals, which loading replays in order. Records put or delete whole
// entries, so replaying a journal over a snapshot that already contains it
// changes nothing.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
)

const (
	journalSuffix    = ".journal"
	oldJournalSuffix = ".journal.old"
	// minCompactBytes is the journal size below which it is never
	// compacted, however small the snapshot.
	minCompactBytes = 4 << 20
)

// record is one journal line: a put (Value set) or delete (no Value) of
// one entry of one of the state's maps, or ("state") the whole state.
type record struct {
	Op    string          `json:"op"` // "put", "delete" or "state"
	Kind  string          `json:"kind,omitempty"`
	Name  string          `json:"name,omitempty"`
	Value json.RawMessage `json:"value,omitempty"`
}

// table is one of the state's maps, named in journal records.
type table[T any] struct {
	kind string
	m    func(*State) map[string]*T
}

var (
	agentsTable     = table[Agent]{"agent", func(st *State) map[string]*Agent { return st.Agents }}
	secretSetsTable = table[SecretSet]{"secretSet", func(st *State) map[string]*SecretSet { return st.SecretSets }}
	buildsTable     = table[Build]{"build", func(st *State) map[string]*Build { return st.Builds }}
	uploadsTable    = table[Upload]{"upload", func(st *State) map[string]*Upload { return st.Uploads }}
)

func (t table[T]) replay(st *State, rec record) error {
	m := t.m(st)
	if rec.Op == "delete" {
		delete(m, rec.Name)
		return nil
	}
	v := new(T)
	if err := json.Unmarshal(rec.Value, v); err != nil {
		return err
	}
	m[rec.Name] = v
	return nil
}

// replayRecord applies one journal record to st.
func replayRecord(st *State, rec record) error {
	switch rec.Op {
	case "state":
		var n State
		if err := json.Unmarshal(rec.Value, &n); err != nil {
			return err
		}
		n.fill()
		*st = n
		return nil
	case "put", "delete":
		if rec.Name == "" || (rec.Op == "put") != (rec.Value != nil) {
			return errors.New("malformed record")
		}
	default:
		return fmt.Errorf("unknown op %q", rec.Op)
	}
	switch rec.Kind {
	case agentsTable.kind:
		return agentsTable.replay(st, rec)
	case secretSetsTable.kind:
		return secretSetsTable.replay(st, rec)
	case buildsTable.kind:
		return buildsTable.replay(st, rec)
	case uploadsTable.kind:
		return uploadsTable.replay(st, rec)
	case propertyKind:
		return replayProperty(st, rec)
	}
	return fmt.Errorf("unknown kind %q", rec.Kind)
}

// put sets (or, with v nil, deletes) name in table t, journals the change
// and returns its entry, for the response to wait on. The caller holds
// s.mu.
func put[T any](s *Server, t table[T], name string, v *T) *entry {
	m := t.m(&s.state)
	prev, had := m[name]
	rec := record{Op: "delete", Kind: t.kind, Name: name}
	if v != nil {
		m[name] = v
		rec.Op, rec.Value = "put", mustMarshal(v)
	} else {
		delete(m, name)
	}
	return s.commit(rec, func() {
		// By name, through the accessor: an undo of a later "state"
		// record may have replaced the map.
		m := t.m(&s.state)
		if had {
			m[name] = prev
		} else {
			delete(m, name)
		}
	})
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("sandbox: marshal: %v", err))
	}
	return b
}

// journalFile is what the journal needs of its file; tests substitute one
// that fails.
type journalFile interface {
	io.Writer
	Sync() error
	Truncate(size int64) error
	Close() error
}

// entry is one change waiting to be durable.
type entry struct {
	line []byte
	undo func() // restores the state as it was before the change; s.mu held
	done bool
	err  error // set when the change could not be written and was undone
}

var errClosed = errors.New("sandbox is closed")

// store is the journal of a persisted sandbox.
type store struct {
	path string // the snapshot; the journal is path+journalSuffix

	mu          sync.Mutex
	cond        sync.Cond
	f           journalFile
	size        int64 // bytes of f known to be synced
	pending     []*entry
	flushing    bool  // a goroutine is writing f; others wait on cond
	broken      error // the journal cannot be trusted: every change fails
	snapSize    int64 // size of the snapshot last written
	minCompact  int64 // journal size below which it is never compacted
	compacting  bool
	compactErr  error // a background compaction failed: no more of them
	compactions int   // snapshots written by compaction, for tests
	closing     bool
	wg          sync.WaitGroup // background compactions
}

func (st *store) journalPath() string    { return st.path + journalSuffix }
func (st *store) oldJournalPath() string { return st.path + oldJournalSuffix }

// openStore opens a fresh, empty journal for path, whose snapshot is
// snapSize bytes.
func openStore(path string, snapSize int64) (*store, error) {
	st := &store{path: path, snapSize: snapSize, minCompact: minCompactBytes}
	st.cond.L = &st.mu
	f, err := os.OpenFile(st.journalPath(), os.O_CREATE|os.O_TRUNC|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open sandbox journal: %w", err)
	}
	if err := syncDir(path); err != nil {
		f.Close()
		return nil, fmt.Errorf("open sandbox journal: %w", err)
	}
	st.f = f
	return st, nil
}

// commit queues rec for the journal; undo reverts the change already made
// to s.state should the write fail. The caller holds s.mu, so records are
// queued in the order the changes were made. Without a state file it does
// nothing and returns nil.
func (s *Server) commit(rec record, undo func()) *entry {
	if s.store == nil {
		return nil
	}
	e := &entry{line: append(mustMarshal(rec), '\n'), undo: undo}
	st := s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.broken != nil {
		undo()
		e.done, e.err = true, st.broken
		return e
	}
	st.pending = append(st.pending, e)
	s.last = e
	return e
}

// wait returns once e is durable, or with the error that made it fail
// (its change undone). The caller must not hold s.mu.
func (s *Server) wait(e *entry) error {
	if e == nil {
		return nil
	}
	st := s.store
	st.mu.Lock()
	defer st.mu.Unlock()
	for !e.done {
		if st.flushing {
			st.cond.Wait()
			continue
		}
		s.flushLocked()
	}
	return e.err
}

// flushLocked writes and syncs every pending line as one batch. It is
// called with st.mu held and returns with it held, but releases it while
// writing so that more changes queue up for the next batch.
func (s *Server) flushLocked() {
	st := s.store
	batch := st.pending
	st.pending = nil
	st.flushing = true
	st.mu.Unlock()
	n, err := st.write(batch)
	if err != nil {
		s.mu.Lock()
		st.mu.Lock()
		s.rollback(batch, err)
		s.mu.Unlock()
	} else {
		st.mu.Lock()
		st.size += n
		for _, e := range batch {
			e.done = true
		}
		if !st.compacting && !st.closing && st.compactErr == nil && st.size >= max(st.minCompact, st.snapSize) {
			st.compacting = true
			st.wg.Add(1)
			go func() {
				defer st.wg.Done()
				s.compact()
			}()
		}
	}
	st.flushing = false
	st.cond.Broadcast()
}

// write appends the lines of batch to the journal and syncs it.
func (st *store) write(batch []*entry) (int64, error) {
	var buf bytes.Buffer
	for _, e := range batch {
		buf.Write(e.line)
	}
	n, err := st.f.Write(buf.Bytes())
	if err == nil {
		err = st.f.Sync()
	}
	if err != nil {
		return 0, fmt.Errorf("write sandbox journal: %w", err)
	}
	return int64(n), nil
}

// rollback undoes the changes of a batch that could not be written, and of
// every change queued after it (which may build on it), newest first, and
// cuts the journal back to its synced size. s.mu and st.mu are held.
func (s *Server) rollback(batch []*entry, err error) {
	st := s.store
	all := append(batch, st.pending...)
	st.pending = nil
	for i := len(all) - 1; i >= 0; i-- {
		all[i].undo()
		all[i].done, all[i].err = true, err
	}
	s.last = nil
	if terr := st.f.Truncate(st.size); terr != nil {
		st.broken = fmt.Errorf("sandbox journal is unusable: %w (after %w)", terr, err)
	} else if terr := st.f.Sync(); terr != nil {
		st.broken = fmt.Errorf("sandbox journal is unusable: %w (after %w)", terr, err)
	}
}

// compact folds the journal into the snapshot. The state is locked only
// to flush what is queued, take a copy and switch journals; the snapshot
// is written after.
func (s *Server) compact() {
	st := s.store
	st.mu.Lock()
	for st.flushing {
		st.cond.Wait()
	}
	if st.broken != nil {
		st.compacting = false
		st.mu.Unlock()
		return
	}
	st.flushing = true
	st.mu.Unlock()

	s.mu.Lock()
	st.mu.Lock()
	batch := st.pending
	st.pending = nil
	st.mu.Unlock()
	var data []byte
	_, werr := st.write(batch)
	var rerr error
	if werr == nil {
		data = mustMarshal(&s.state)
		rerr = st.rotate()
	}
	st.mu.Lock()
	if werr != nil {
		s.rollback(batch, werr)
	} else {
		for _, e := range batch {
			e.done = true
		}
		if rerr != nil {
			// The batch is in the journal, but the journals could not
			// be switched: trust neither any more.
			st.broken = fmt.Errorf("sandbox journal is unusable: %w", rerr)
		}
	}
	st.flushing = false
	st.cond.Broadcast()
	broken := st.broken
	st.mu.Unlock()
	s.mu.Unlock()
	if broken != nil || werr != nil {
		st.mu.Lock()
		st.compacting = false
		st.mu.Unlock()
		return
	}

	var pretty bytes.Buffer
	json.Indent(&pretty, data, "", "  ")
	pretty.WriteByte('\n')
	err := writeFileAtomic(st.path, pretty.Bytes())
	if err == nil {
		err = os.Remove(st.oldJournalPath())
		if err == nil {
			err = syncDir(st.path)
		}
	}
	st.mu.Lock()
	st.compacting = false
	if err != nil {
		// Snapshot, old journal and journal still load to the right
		// state; stop compacting rather than risk more.
		st.compactErr = err
	} else {
		st.snapSize = int64(pretty.Len())
		st.compactions++
	}
	st.mu.Unlock()
	if err != nil && s.opts.Logf != nil {
		s.opts.Logf("compact sandbox state: %v", err)
	}
}

// rotate renames the journal to the old journal and starts a new one. The
// caller owns the journal (flushing).
func (st *store) rotate() error {
	if err := st.f.Close(); err != nil {
		return err
	}
	if err := os.Rename(st.journalPath(), st.oldJournalPath()); err != nil {
		return err
	}
	f, err := os.OpenFile(st.journalPath(), os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	st.f, st.size = f, 0
	return syncDir(st.path)
}

// Close folds the journal into the state file and closes it; later changes
// fail. It is safe to skip (the journal is replayed at the next start) and
// does nothing for an in-memory sandbox.
func (s *Server) Close() error {
	st := s.store
	if st == nil {
		return nil
	}
	st.mu.Lock()
	st.closing = true
	st.mu.Unlock()
	st.wg.Wait()
	st.mu.Lock()
	for st.flushing {
		st.cond.Wait()
	}
	size, broken, compactErr := st.size, st.broken, st.compactErr
	st.mu.Unlock()
	if size > 0 && broken == nil && compactErr == nil {
		st.mu.Lock()
		st.compacting = true
		st.mu.Unlock()
		s.compact()
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.broken == errClosed {
		return nil
	}
	err := st.f.Close()
	if err == nil && st.broken == nil && st.size == 0 {
		// Everything is in the state file: leave only that.
		err = os.Remove(st.journalPath())
	}
	if st.broken == nil {
		st.broken = errClosed
	}
	if err == nil {
		err = st.compactErr
	}
	if err != nil {
		return fmt.Errorf("close sandbox state: %w", err)
	}
	return nil
}

// readJournal replays the journal at path onto st. A missing file is no
// journal. A last line that is incomplete or unreadable is a write cut
// short by a crash, never acknowledged, and is ignored when last is true;
// any other bad line is an error.
func readJournal(path string, st *State, last bool) (found bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read sandbox journal: %w", err)
	}
	for n := 1; len(data) > 0; n++ {
		line, rest, complete := bytes.Cut(data, []byte("\n"))
		data = rest
		var rec record
		err := errors.New("incomplete line")
		if complete {
			if err = json.Unmarshal(line, &rec); err == nil {
				err = replayRecord(st, rec)
			}
		}
		if err != nil {
			if last && len(data) == 0 {
				break
			}
			return true, fmt.Errorf("read sandbox journal %s: line %d: %w (delete the file to lose its changes)", path, n, err)
		}
	}
	return true, nil
}

// syncDir syncs the directory of path, so that a rename or a new file in
// it survives a crash.
func syncDir(path string) error {
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// writeFileAtomic replaces path: the new content goes to a temporary file
// in the same directory, which is synced and renamed over path, so a crash
// leaves either the old or the new file, never half of one.
func writeFileAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(path)
	}
	if err != nil {
		os.Remove(tmp)
	}
	return err
}
