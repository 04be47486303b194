package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// WriteSecretVolume lays out data in dir the way the kubelet mounts a Secret
// volume (its AtomicWriter): the files live in a timestamped directory,
// `..data` is a symlink to it, and each key is a symlink through `..data`.
// Calling it again swaps `..data` atomically (rename of a new symlink), so a
// reader sees either the old set of files or the new one, never a mix.
func WriteSecretVolume(dir string, data map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	ts := filepath.Join(dir, ".."+time.Now().UTC().Format("2006_01_02_15_04_05.000000000"))
	if err := os.Mkdir(ts, 0o755); err != nil {
		return fmt.Errorf("secret volume %s: %w", dir, err)
	}
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := os.WriteFile(filepath.Join(ts, k), data[k], 0o444); err != nil {
			return fmt.Errorf("secret volume %s: %w", dir, err)
		}
	}
	old, _ := os.Readlink(filepath.Join(dir, "..data"))
	tmp := filepath.Join(dir, "..data_tmp")
	_ = os.Remove(tmp)
	if err := os.Symlink(filepath.Base(ts), tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
		return err
	}
	for _, k := range keys {
		link := filepath.Join(dir, k)
		if _, err := os.Lstat(link); err == nil {
			continue
		}
		if err := os.Symlink(filepath.Join("..data", k), link); err != nil {
			return err
		}
	}
	if old != "" && old != filepath.Base(ts) {
		_ = os.RemoveAll(filepath.Join(dir, old))
	}
	return nil
}
