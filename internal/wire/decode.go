package wire

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// Decode parses a JSON request body into v. Malformed JSON and values of the
// wrong JSON type become a SerializationException naming the offending
// member, as the real service reports them; trailing data is rejected too.
// An empty body is an empty structure, as restJson1 services treat it. A
// Converse body with a member the API model does not define is a
// ValidationException (unknownMembers).
func Decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return serializationError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Errorf(SerializationException, "Unexpected content after the end of the JSON document.")
	}
	if _, ok := v.(*ConverseRequest); ok {
		return unknownMembers(body)
	}
	return nil
}

func serializationError(err error) *Exception {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		at := typeErr.Field
		if at == "" {
			at = "the request body"
		}
		return Errorf(SerializationException, "Unexpected JSON %s at %s: expected %s.", typeErr.Value, at, jsonKind(typeErr.Type.Kind().String()))
	case errors.As(err, &syntaxErr):
		return Errorf(SerializationException, "The request body is not valid JSON (offset %d): %s.", syntaxErr.Offset, syntaxErr.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return Errorf(SerializationException, "The request body ends in the middle of a JSON value.")
	}
	// base64 errors for blob members and similar.
	return Errorf(SerializationException, "The request body could not be read: %s.", err.Error())
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "slice", "array":
		return "a list (or a base64 string for a blob)"
	case "map", "struct":
		return "an object"
	case "bool":
		return "a boolean"
	case "ptr":
		return "a value of another type"
	}
	return fmt.Sprintf("a number (%s)", goKind)
}
