package openapi

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"

	"go.yaml.in/yaml/v4"
)

// jsonNode builds the YAML node tree of a JSON document with encoding/json's
// tokenizer. JSON is YAML, and kin-openapi decodes documents from YAML node
// trees, but the YAML parser is far slower than a JSON tokenizer on the
// multi-megabyte JSON documents large APIs publish, while kin-openapi's JSON
// path re-validates nested objects at every level. Scalars are tagged as
// the YAML parser would tag them in a JSON document.
//
// Identical subtrees are built once and shared (the tree is a DAG): a
// dereferenced document repeats the same schemas thousands of times, and
// a tree of its own nodes for each copy would take several times the
// document's size. Decoding walks the shared nodes as often as they occur,
// so what is decoded is the same.
func jsonNode(data []byte) (*yaml.Node, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	in := &interner{ids: map[*yaml.Node]uint32{}, nodes: map[string]*yaml.Node{}}
	root, err := in.value(dec)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("unexpected data after the top-level value")
	}
	return &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{root}}, nil
}

// interner hands out one node for each distinct subtree.
type interner struct {
	ids   map[*yaml.Node]uint32
	nodes map[string]*yaml.Node
	key   []byte
}

// canonical returns the node already built with the same content as n,
// or n itself, remembered, when it is the first. Children are canonical
// already, so their identities stand for their content.
func (in *interner) canonical(n *yaml.Node) *yaml.Node {
	k := append(in.key[:0], byte(n.Kind), byte(n.Style))
	k = append(k, n.Tag...)
	k = append(k, 0)
	if n.Kind == yaml.ScalarNode {
		k = append(k, n.Value...)
	} else {
		for _, c := range n.Content {
			k = binary.LittleEndian.AppendUint32(k, in.ids[c])
		}
	}
	in.key = k
	if have, ok := in.nodes[string(k)]; ok {
		return have
	}
	in.nodes[string(k)] = n
	in.ids[n] = uint32(len(in.ids))
	return n
}

func (in *interner) value(dec *json.Decoder) (*yaml.Node, error) {
	n, err := jsonValueNode(dec, in)
	if err != nil {
		return nil, err
	}
	return in.canonical(n), nil
}

func jsonValueNode(dec *json.Decoder, in *interner) (*yaml.Node, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			n := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle}
			for dec.More() {
				key, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, _ := key.(string)
				child, err := in.value(dec)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, in.canonical(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k, Style: yaml.DoubleQuotedStyle}), child)
			}
			_, err := dec.Token() // '}'
			return n, err
		case '[':
			n := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle}
			for dec.More() {
				child, err := in.value(dec)
				if err != nil {
					return nil, err
				}
				n.Content = append(n.Content, child)
			}
			_, err := dec.Token() // ']'
			return n, err
		}
		return nil, fmt.Errorf("unexpected %v", v)
	case string:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v, Style: yaml.DoubleQuotedStyle}, nil
	case json.Number:
		tag := "!!float"
		if _, err := strconv.ParseInt(v.String(), 10, 64); err == nil {
			tag = "!!int"
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: v.String()}, nil
	case bool:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}, nil
	case nil:
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
	return nil, fmt.Errorf("unexpected token %v", tok)
}
