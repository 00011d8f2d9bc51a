package envoybootstrap

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// protojsonPos matches the "(line L:C)" position protojson puts in its
// errors. It is used only to enrich the message with a field path; nothing
// branches on it.
var protojsonPos = regexp.MustCompile(`\(line (\d+):(\d+)\)`)

// fieldPathOf returns the JSON path ("a.b[0].c") of the element a protojson
// error points at, or "" when the error carries no usable position.
func fieldPathOf(data []byte, err error) string {
	m := protojsonPos.FindStringSubmatch(err.Error())
	if m == nil {
		return ""
	}
	line, _ := strconv.Atoi(m[1])
	col, _ := strconv.Atoi(m[2])
	off := byteOffset(data, line, col)
	if off < 0 {
		return ""
	}
	return jsonPathAt(data, off)
}

// byteOffset converts protojson's 1-based line and rune column to a byte
// offset in data, or -1.
func byteOffset(data []byte, line, col int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := bytes.IndexByte(data[off:], '\n')
		if i < 0 {
			return -1
		}
		off += i + 1
	}
	for c := 1; c < col; c++ {
		if off >= len(data) {
			return -1
		}
		_, size := utf8.DecodeRune(data[off:])
		off += size
	}
	return off
}

// jsonPathAt returns the path of the innermost key or value whose token
// covers byte offset off (or, for malformed input, the last path reached).
func jsonPathAt(data []byte, off int) string {
	type frame struct {
		obj     bool
		wantKey bool
		key     string
		idx     int
	}
	var stack []*frame
	path := func() string {
		var sb strings.Builder
		for _, f := range stack {
			if f.obj {
				if f.key == "" {
					continue
				}
				if sb.Len() > 0 {
					sb.WriteByte('.')
				}
				sb.WriteString(f.key)
			} else if f.idx >= 0 {
				sb.WriteString("[" + strconv.Itoa(f.idx) + "]")
			}
		}
		return sb.String()
	}

	dec := json.NewDecoder(bytes.NewReader(data))
	for {
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		tok, err := dec.Token()
		if err != nil {
			return path()
		}
		past := dec.InputOffset() > int64(off)

		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:len(stack)-1]
			if past {
				return path()
			}
			continue
		}
		if top != nil && top.obj && top.wantKey {
			top.key, _ = tok.(string)
			top.wantKey = false
			if past {
				return path()
			}
			continue
		}
		// tok starts a value.
		if top != nil {
			if top.obj {
				top.wantKey = true
			} else {
				top.idx++
			}
		}
		if past {
			return path()
		}
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, &frame{obj: d == '{', wantKey: d == '{', idx: -1})
		}
	}
}
