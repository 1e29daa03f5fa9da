package builds

import (
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/imagebuild"
)

var setNameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,62}$`)

// TargetSet is the image set a request's result lands in: req.ImageSet, or
// else the recipe's name.
func TargetSet(req api.BuildRequest) string {
	if req.ImageSet != "" {
		return req.ImageSet
	}
	var r struct {
		Name string `json:"name"`
	}
	_ = json.Unmarshal(req.Recipe, &r)
	return r.Name
}

// check decodes and validates a request's recipe. Errors are
// *imagebuild.FieldError with a path into the request body.
func (r *Runner) check(req api.BuildRequest) (imagebuild.Recipe, error) {
	if len(req.Recipe) == 0 || string(req.Recipe) == "null" {
		return imagebuild.Recipe{}, fieldError("recipe", "is missing: send the recipe as a JSON object")
	}
	rec, err := imagebuild.Decode(req.Recipe)
	var fe *imagebuild.FieldError
	if errors.As(err, &fe) {
		return rec, fieldError("recipe."+fe.Path, fe.Message)
	}
	if err != nil {
		return rec, fieldError("recipe", err.Error())
	}
	b, err := r.cfg.Registry.Lookup(rec.Backend)
	if err != nil {
		return rec, fieldError("recipe.backend", err.Error())
	}
	if err := b.Validate(rec); err != nil {
		return rec, fieldError("recipe", err.Error())
	}
	if rec.File != "" && (r.cfg.ImportRoot == "" || !filepath.IsLocal(rec.File)) {
		return rec, fieldError("recipe.file", fmt.Sprintf("%q: on the server, import files are paths relative to its import directory (%s); copy the file there", rec.File, orNone(r.cfg.ImportRoot)))
	}
	if p, local := localReference(rec.Reference); local && (r.cfg.ImportRoot == "" || !filepath.IsLocal(p)) {
		return rec, fieldError("recipe.reference", fmt.Sprintf("%q: on the server, OCI layouts and archives are oci:PATH or PATH.tar relative to its import directory (%s); copy them there", rec.Reference, orNone(r.cfg.ImportRoot)))
	}
	if set := TargetSet(req); !setNameRE.MatchString(set) {
		return rec, fieldError("image_set", fmt.Sprintf("%q is not an image set name (1 to 63 of a-z, 0-9, '.', '_', '-'); pass image_set", set))
	}
	return rec, nil
}

func fieldError(path, msg string) *imagebuild.FieldError {
	return &imagebuild.FieldError{Path: path, Message: msg}
}

func orNone(dir string) string {
	if dir == "" {
		return "none configured"
	}
	return dir
}

// resolve turns a stored recipe into the one to build: import files are
// found under the import root.
func (r *Runner) resolve(raw []byte) (imagebuild.Recipe, error) {
	rec, err := imagebuild.Decode(raw)
	if err != nil {
		return rec, err
	}
	if rec.File != "" {
		rec.File = filepath.Join(r.cfg.ImportRoot, rec.File)
	}
	if p, local := localReference(rec.Reference); local {
		rec.Reference = strings.Replace(rec.Reference, p, filepath.Join(r.cfg.ImportRoot, p), 1)
	}
	return rec, nil
}

// localReference tells OCI references that name files on the server (the
// oci backend's rule: oci:DIR, *.tar, or a path) and returns the path.
func localReference(ref string) (string, bool) {
	switch {
	case strings.HasPrefix(ref, "oci:"):
		return strings.TrimPrefix(ref, "oci:"), true
	case strings.HasPrefix(ref, "/"), strings.HasPrefix(ref, "."), strings.HasSuffix(ref, ".tar"):
		return ref, true
	}
	return "", false
}

func recipeJSON(rec imagebuild.Recipe) api.RawJSON {
	b, err := json.Marshal(rec)
	if err != nil {
		panic(err) // a Recipe always encodes
	}
	return b
}
