package kjson

// Kea's Element throws a TypeError, with the element's position, when a
// map operation is applied to a non-map and so on. These helpers give the
// same texts, so that answers to odd input match Kea's byte for byte.

// TypeError is Kea's data::TypeError.
type TypeError struct{ Msg string }

func (e *TypeError) Error() string { return e.Msg }

// typeError builds the text of Kea's throwTypeError macro: the position is
// appended when the element has one.
func (e *Element) typeError(msg string) error {
	if e.Pos.File != "" || e.Pos.Line != 0 || e.Pos.Col != 0 {
		msg += " in (" + e.Pos.String() + ")"
	}
	return &TypeError{Msg: msg}
}

// MapGet is Kea's get(string): an error on a non-map.
func (e *Element) MapGet(key string) (*Element, error) {
	if e.Kind != Map {
		return nil, e.typeError("get(string) called on a non-map Element")
	}
	return e.M[key], nil
}

// MapContains is Kea's contains(string): an error on a non-map.
func (e *Element) MapContains(key string) (bool, error) {
	if e.Kind != Map {
		return false, e.typeError("contains(string) called on a non-map Element")
	}
	return e.M[key] != nil, nil
}

// StringValue is Kea's stringValue(): an error on a non-string.
func (e *Element) StringValue() (string, error) {
	if e.Kind != String {
		return "", e.typeError("stringValue() called on non-string Element")
	}
	return e.S, nil
}

// IntValue is Kea's intValue(): an error on a non-integer.
func (e *Element) IntValue() (int64, error) {
	if e.Kind != Int {
		return 0, e.typeError("intValue() called on non-integer Element")
	}
	return e.I, nil
}

// BoolValue is Kea's boolValue(): an error on a non-boolean.
func (e *Element) BoolValue() (bool, error) {
	if e.Kind != Bool {
		return false, e.typeError("boolValue() called on non-Bool Element")
	}
	return e.B, nil
}

// ListValue is Kea's listValue(): an error on a non-list.
func (e *Element) ListValue() ([]*Element, error) {
	if e.Kind != List {
		return nil, e.typeError("listValue() called on non-list Element")
	}
	return e.L, nil
}
