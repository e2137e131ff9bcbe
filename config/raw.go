package config

import (
	"fmt"
	"os"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// LoadRaw reads a file in Kea's configuration dialect (comments, includes)
// and returns its top-level map without building a server configuration:
// for the files of Kea's other daemons, such as kea-ctrl-agent.conf, whose
// sections other packages check. Top-level keys are still Kea's.
func LoadRaw(path string) (*kjson.Element, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("Unable to open file %s: %w", path, err)
	}
	p := &parser{lx: newLexer(data, path, os.ReadFile)}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tLCurly {
		return nil, p.unexpected(p.tok, nil, []string{"{"})
	}
	top := &kjson.Element{Kind: kjson.Map, Pos: p.tok.loc.pos(), M: map[string]*kjson.Element{}}
	keys := []string{sectionDhcp4, sectionDhcp6, sectionControlAgent, sectionDhcpDdns}
	if _, err := p.entries(nil, tRCurly, false, keys, isKey, func(key token) error {
		return p.topEntry(top, key)
	}); err != nil {
		return nil, err
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	if p.tok.kind != tEOF {
		return nil, p.unexpected(p.tok, nil, []string{"end of file"})
	}
	return top, nil
}
