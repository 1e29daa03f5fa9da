package imagebuild

import (
	"encoding/json"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"
)

// FieldError is a recipe field that is not valid: Path is its JSON path in
// the recipe ("layout.split[1].sise"), Message what is wrong.
type FieldError struct {
	Path    string
	Message string
}

func (e *FieldError) Error() string { return e.Path + ": " + e.Message }

// checkFields returns a *FieldError for the first field (in path order) of
// a YAML or JSON recipe that Recipe does not have, or nil.
func checkFields(data []byte) error {
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil // the decoder reports the syntax error
	}
	var v any
	if json.Unmarshal(js, &v) != nil {
		return nil
	}
	if p := unknownField(v, reflect.TypeFor[Recipe](), ""); p != "" {
		return &FieldError{Path: p, Message: "unknown field; check its spelling (recipe fields are lower case)"}
	}
	return nil
}

// unknownField walks v (decoded JSON) along t and returns the path of the
// first object key t has no JSON field for.
func unknownField(v any, t reflect.Type, path string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch v := v.(type) {
	case map[string]any:
		if t.Kind() != reflect.Struct {
			return ""
		}
		fields := jsonFields(t)
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ft, ok := fields[k]
			if !ok {
				return joinPath(path, k)
			}
			if p := unknownField(v[k], ft, joinPath(path, k)); p != "" {
				return p
			}
		}
	case []any:
		if t.Kind() != reflect.Slice && t.Kind() != reflect.Array {
			return ""
		}
		for i, e := range v {
			if p := unknownField(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	}
	return ""
}

// jsonFields maps the JSON names of t's exported fields to their types.
func jsonFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
