package leasecmds

import (
	"fmt"
	"math"
	"net/netip"

	"github.com/lessor-dhcp/lessor/internal/kjson"
)

// The helpers below read command arguments with the texts of Kea's
// SimpleParser, so that every error names the same parameter and position.

func getElem(scope *kjson.Element, name string) (*kjson.Element, error) {
	return scope.MapGet(name)
}

func has(scope *kjson.Element, name string) (bool, error) {
	return scope.MapContains(name)
}

func missing(scope *kjson.Element, name string) error {
	return fmt.Errorf("missing parameter '%s' (%s)", name, scope.Pos)
}

func badType(x *kjson.Element, name string) error {
	return fmt.Errorf("invalid type specified for parameter '%s' (%s)", name, x.Pos)
}

func getString(scope *kjson.Element, name string) (string, error) {
	x, err := getElem(scope, name)
	if err != nil {
		return "", err
	}
	if x == nil {
		return "", missing(scope, name)
	}
	if x.Kind != kjson.String {
		return "", badType(x, name)
	}
	return x.S, nil
}

func getInteger(scope *kjson.Element, name string) (int64, error) {
	x, err := getElem(scope, name)
	if err != nil {
		return 0, err
	}
	if x == nil {
		return 0, missing(scope, name)
	}
	if x.Kind != kjson.Int {
		return 0, badType(x, name)
	}
	return x.I, nil
}

func getBoolean(scope *kjson.Element, name string) (bool, error) {
	x, err := getElem(scope, name)
	if err != nil {
		return false, err
	}
	if x == nil {
		return false, missing(scope, name)
	}
	if x.Kind != kjson.Bool {
		return false, badType(x, name)
	}
	return x.B, nil
}

func getUint(scope *kjson.Element, name string, max int64) (int64, error) {
	v, err := getInteger(scope, name)
	if err != nil {
		return 0, err
	}
	if v < 0 || v > max {
		return 0, fmt.Errorf("out of range value (%d) specified for parameter '%s' (%s)", v, name, scope.M[name].Pos)
	}
	return v, nil
}

func getUint32(scope *kjson.Element, name string) (uint32, error) {
	v, err := getUint(scope, name, math.MaxUint32)
	return uint32(v), err
}

func getUint8(scope *kjson.Element, name string) (uint8, error) {
	v, err := getUint(scope, name, math.MaxUint8)
	return uint8(v), err
}

// parseIOAddress parses an address as Kea's IOAddress constructor does.
func parseIOAddress(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("Failed to convert string to address '%s': Invalid argument", s)
	}
	return a, nil
}

func getAddress(scope *kjson.Element, name string) (netip.Addr, error) {
	s, err := getString(scope, name)
	if err != nil {
		return netip.Addr{}, err
	}
	a, err := parseIOAddress(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("Failed to convert '%s' to address: %v(%s)", s, err, scope.M[name].Pos)
	}
	return a, nil
}

// is4 reports whether Kea would call the address IPv4.
func is4(a netip.Addr) bool { return a.Is4() }
