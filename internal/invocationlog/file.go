package invocationlog

import (
	"errors"
	"fmt"
	"os"
	"sync"
)

// FileOptions configure a File.
type FileOptions struct {
	// Path of the current file; rotated files are Path.1 (newest) to
	// Path.MaxBackups (oldest).
	Path string
	// MaxBytes starts a new file before a write would take the current one
	// past it (0: 100 MiB). A single write larger than MaxBytes still goes
	// whole into a file of its own.
	MaxBytes int64
	// MaxBackups is how many rotated files are kept (0: 5).
	MaxBackups int
}

// File is an append-only file rotated by size. Each Write lands whole in
// one file, so a JSON line is never split across two. Files are created
// readable by their owner only: records may hold prompts.
type File struct {
	opts FileOptions
	mu   sync.Mutex
	f    *os.File
	size int64
}

// OpenFile opens (appending to) or creates the file.
func OpenFile(opts FileOptions) (*File, error) {
	if opts.Path == "" {
		return nil, errors.New("invocationlog: no file path")
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 100 << 20
	}
	if opts.MaxBackups <= 0 {
		opts.MaxBackups = 5
	}
	f := &File{opts: opts}
	if err := f.open(); err != nil {
		return nil, err
	}
	return f, nil
}

func (f *File) open() error {
	fh, err := os.OpenFile(f.opts.Path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("open invocation log: %w", err)
	}
	st, err := fh.Stat()
	if err != nil {
		fh.Close()
		return fmt.Errorf("open invocation log: %w", err)
	}
	f.f, f.size = fh, st.Size()
	return nil
}

// Write appends p, rotating first when p would not fit. When rotating
// fails, p still goes to the current file and the error is returned.
func (f *File) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.f == nil {
		return 0, errors.New("invocation log: file is closed")
	}
	var rotErr error
	if f.size > 0 && f.size+int64(len(p)) > f.opts.MaxBytes {
		rotErr = f.rotate()
		if f.f == nil {
			return 0, rotErr
		}
	}
	n, err := f.f.Write(p)
	f.size += int64(n)
	return n, errors.Join(rotErr, err)
}

// rotate shifts Path.i to Path.i+1 (dropping the oldest), Path to Path.1,
// and starts an empty Path; whatever fails, it leaves a file open if it
// can.
func (f *File) rotate() error {
	err := f.shift()
	if f.f == nil {
		if oerr := f.open(); oerr != nil {
			return errors.Join(err, oerr)
		}
	}
	if err != nil {
		return fmt.Errorf("rotate invocation log: %w", err)
	}
	return nil
}

func (f *File) shift() error {
	if err := f.f.Close(); err != nil {
		return err
	}
	f.f = nil
	name := func(i int) string { return fmt.Sprintf("%s.%d", f.opts.Path, i) }
	if err := os.Remove(name(f.opts.MaxBackups)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	for i := f.opts.MaxBackups - 1; i >= 1; i-- {
		if err := os.Rename(name(i), name(i+1)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
	}
	return os.Rename(f.opts.Path, name(1))
}

// Close closes the current file.
func (f *File) Close() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.f == nil {
		return nil
	}
	err := f.f.Close()
	f.f = nil
	return err
}
