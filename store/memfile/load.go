package memfile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
)

// fileInfo is what reading a lease file found.
type fileInfo struct {
	exists bool
	schema *schema // nil when the file holds no header
	good   int64   // size of the file up to its last complete line
	torn   bool    // the file ends with an incomplete row
	rows   int     // data rows read
	errs   int     // rows discarded
}

// readLeaseFile reads a lease file and passes each data row, fitted to the
// current schema, to apply (as Kea's LeaseFileLoader::load does). A row
// that fails is logged and skipped; more than maxErrs failures (0 =
// unlimited) make the load fail. A final row without its newline (a write
// cut short) is dropped with a warning. A missing file is not an error.
func readLeaseFile(path string, family int, maxErrs int64, log *slog.Logger,
	apply func(fields [][]byte) error) (fileInfo, error) {
	var info fileInfo
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return info, nil
	}
	if err != nil {
		return info, fmt.Errorf("unable to open '%s': %w", path, err)
	}
	defer f.Close()
	info.exists = true
	log.Info(fmt.Sprintf("loading leases from file %s", path))

	r := bufio.NewReaderSize(f, 1<<20)
	var (
		long   []byte
		fields = make([][]byte, 0, 17)
	)
	for {
		line, err := r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			long = append(long, line...)
			continue
		}
		if long != nil {
			long = append(long, line...)
			line, long = long, nil
		}
		if err == io.EOF {
			if len(line) > 0 {
				info.torn = true
				log.Warn(fmt.Sprintf("dropping the incomplete last row of the lease file %s: %q", path, truncateForLog(line)))
			}
			break
		}
		if err != nil {
			return info, fmt.Errorf("error reading a row from CSV file '%s': %w", path, err)
		}
		info.good += int64(len(line))
		text := line[:len(line)-1]
		if len(text) == 0 {
			continue // Kea skips blank lines
		}
		if info.schema == nil {
			s, err := checkHeader(family, text, path)
			if err != nil {
				return info, err
			}
			info.schema = s
			continue
		}
		info.rows++
		fl, err := info.schema.rowFields(text, fields, path)
		if err == nil {
			err = apply(fl)
		}
		if err != nil {
			info.errs++
			log.Error(fmt.Sprintf("discarding row %d, error: %v", info.rows, err))
			if maxErrs > 0 && int64(info.errs) > maxErrs {
				return info, fmt.Errorf("exceeded maximum number of failures %d to read a lease from the lease file %s",
					maxErrs, path)
			}
		}
	}
	if s := info.schema; s != nil && s.needsConversion() {
		if s.valid < len(s.columns) {
			log.Warn(fmt.Sprintf("version of lease file: %s schema is earlier than version %s", path, schemaVersion(family)))
		} else {
			log.Warn(fmt.Sprintf("version of lease file: %s schema is later than version %s", path, schemaVersion(family)))
		}
	}
	return info, nil
}

func schemaVersion(family int) string {
	if family == 4 {
		return "2.1"
	}
	return "4.0"
}

func truncateForLog(b []byte) []byte {
	if len(b) > 200 {
		return append(bytes.Clone(b[:200]), "..."...)
	}
	return b
}
