package register

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
)

// Load reads the declaration of register id: the JSON generated from its
// YAML. Its version is still the hash of the YAML bytes, which are embedded
// for that and never parsed here.
func Load(id string) (*Register, error) {
	raw, err := files.ReadFile(id + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("register %s: %w", id, err)
	}
	js, err := files.ReadFile(id + ".json")
	if err != nil {
		return nil, fmt.Errorf("register %s: %w (run go generate ./internal/register)", id, err)
	}
	return decodeJSON(id, raw, js)
}

// decodeJSON decodes js, the JSON generated from raw, the YAML of register id.
func decodeJSON(id string, raw, js []byte) (*Register, error) {
	var g generated
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		return nil, fmt.Errorf("register %s: %s.json: %w (run go generate ./internal/register)", id, id, err)
	}
	sum := sha256.Sum256(raw)
	if g.Source != hex.EncodeToString(sum[:]) || g.Register == nil {
		return nil, fmt.Errorf("register %s: %s.json was not generated from this %s.yaml: run go generate ./internal/register", id, id, id)
	}
	r := g.Register
	r.version = g.Source[:12] // shortHash(string(raw)), hashed once
	if err := r.validate(); err != nil {
		return nil, fmt.Errorf("register %s: %w", id, err)
	}
	return r, nil
}

// generated is the form of <id>.json: the declaration as decoded from the
// YAML, and the SHA-256 of the YAML bytes it was decoded from.
type generated struct {
	Note     string
	Source   string
	Register *Register
}

const generatedNote = "Generated from the .yaml of the same name by `go generate ./internal/register`: edit that, not this."

// Decoded validates r, the declaration package registeryaml decoded from
// src, the bytes of its YAML, and gives it the version of src, as Load gives
// the declaration it decodes from the JSON generated from src. The
// functions never decode YAML: registeryaml runs at build time only.
func Decoded(src []byte, r *Register) (*Register, error) {
	r.version = shortHash(string(src))
	if err := r.validate(); err != nil {
		return nil, err
	}
	return r, nil
}

// GenerateJSON returns the <id>.json that Load decodes, generated from the
// declaration <id>.yaml holds (src), decoded from it by package
// registeryaml: r validated, and written as indented JSON (keys in a fixed
// order, so the same YAML always gives the same bytes) with the SHA-256 of
// src. Package gen writes it for `go generate ./internal/register`.
func GenerateJSON(src []byte, r *Register) ([]byte, error) {
	if err := r.validate(); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(src)
	var out bytes.Buffer
	enc := json.NewEncoder(&out)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "\t")
	if err := enc.Encode(generated{Note: generatedNote, Source: hex.EncodeToString(sum[:]), Register: r}); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// MustLoad is Load for the embedded declarations, which tests prove valid.
func MustLoad(id string) *Register {
	r, err := Load(id)
	if err != nil {
		panic(err)
	}
	return r
}
