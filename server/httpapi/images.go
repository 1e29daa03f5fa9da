package httpapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

// ListInput pages through a list.
type ListInput struct {
	Limit  int    `query:"limit" minimum:"0" maximum:"1000" doc:"Page size; default 100."`
	Cursor string `query:"cursor" maxLength:"256" doc:"next_cursor of the previous page."`
}

func (l ListInput) options() store.ListOptions {
	return store.ListOptions{Limit: l.Limit, Cursor: l.Cursor}
}

type pageOutput[T any] struct{ Body api.Page[T] }
type bodyOutput[T any] struct{ Body T }
type bodyInput[T any] struct{ Body T }

type idInput struct {
	ID string `path:"id" maxLength:"80"`
}

type nameInput struct {
	Name string `path:"name" pattern:"^[a-z0-9][a-z0-9._-]{0,62}$"`
}

type namedBodyInput[T any] struct {
	Name string `path:"name" pattern:"^[a-z0-9][a-z0-9._-]{0,62}$"`
	Body T
}

func (a *API) registerImages() {
	huma.Register(a.huma, huma.Operation{OperationID: "list-images", Method: http.MethodGet, Path: "/v1/images", Tags: []string{"images"}},
		func(ctx context.Context, in *ListInput) (*pageOutput[api.Image], error) {
			if err := requireReader(ctx); err != nil {
				return nil, err
			}
			p, err := a.Store.ListImages(ctx, in.options())
			return &pageOutput[api.Image]{p}, a.problem(ctx, err)
		})
	huma.Register(a.huma, huma.Operation{OperationID: "get-image", Method: http.MethodGet, Path: "/v1/images/{id}", Tags: []string{"images"}},
		func(ctx context.Context, in *idInput) (*bodyOutput[api.Image], error) {
			if err := requireReader(ctx); err != nil {
				return nil, err
			}
			img, err := a.Store.GetImage(ctx, in.ID)
			return &bodyOutput[api.Image]{img}, a.problem(ctx, err)
		})
	huma.Register(a.huma, huma.Operation{OperationID: "create-image", Method: http.MethodPost, Path: "/v1/images", Tags: []string{"images"},
		DefaultStatus: http.StatusCreated, MaxBodyBytes: 64 << 20,
		Summary: "Register an imported image: check its chunks are stored, sign its manifest, add it to the catalog"},
		a.createImage)
	huma.Register(a.huma, huma.Operation{OperationID: "delete-image", Method: http.MethodDelete, Path: "/v1/images/{id}", Tags: []string{"images"},
		DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *idInput) (*struct{}, error) {
			if err := require(ctx, "admin"); err != nil {
				return nil, err
			}
			if err := a.Store.DeleteImage(ctx, in.ID); err != nil {
				return nil, a.problem(ctx, err)
			}
			return nil, a.problem(ctx, a.Images.Release(ctx, in.ID))
		})
	a.registerImageGC()
}

func (a *API) registerImageSets() {
	huma.Register(a.huma, huma.Operation{OperationID: "list-imagesets", Method: http.MethodGet, Path: "/v1/imagesets", Tags: []string{"imagesets"}},
		func(ctx context.Context, in *ListInput) (*pageOutput[api.ImageSet], error) {
			if err := requireReader(ctx); err != nil {
				return nil, err
			}
			p, err := a.Store.ListImageSets(ctx, in.options())
			return &pageOutput[api.ImageSet]{p}, a.problem(ctx, err)
		})
	huma.Register(a.huma, huma.Operation{OperationID: "get-imageset", Method: http.MethodGet, Path: "/v1/imagesets/{name}", Tags: []string{"imagesets"}},
		func(ctx context.Context, in *nameInput) (*bodyOutput[api.ImageSet], error) {
			if err := requireReader(ctx); err != nil {
				return nil, err
			}
			s, err := a.Store.GetImageSet(ctx, in.Name)
			return &bodyOutput[api.ImageSet]{s}, a.problem(ctx, err)
		})
	huma.Register(a.huma, huma.Operation{OperationID: "create-imageset", Method: http.MethodPost, Path: "/v1/imagesets", Tags: []string{"imagesets"},
		DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *bodyInput[api.ImageSet]) (*bodyOutput[api.ImageSet], error) {
			if err := require(ctx, "imageset:manage:"+in.Body.Name); err != nil {
				return nil, err
			}
			if err := a.checkImageSet(ctx, in.Body); err != nil {
				return nil, err
			}
			s, err := a.Store.CreateImageSet(ctx, in.Body)
			return &bodyOutput[api.ImageSet]{s}, a.problem(ctx, err)
		})
	huma.Register(a.huma, huma.Operation{OperationID: "update-imageset", Method: http.MethodPut, Path: "/v1/imagesets/{name}", Tags: []string{"imagesets"}},
		func(ctx context.Context, in *namedBodyInput[api.ImageSet]) (*bodyOutput[api.ImageSet], error) {
			if err := require(ctx, "imageset:manage:"+in.Name); err != nil {
				return nil, err
			}
			if err := sameName(in.Name, in.Body.Name); err != nil {
				return nil, err
			}
			if err := a.checkImageSet(ctx, in.Body); err != nil {
				return nil, err
			}
			s, err := a.Store.UpdateImageSet(ctx, in.Body)
			return &bodyOutput[api.ImageSet]{s}, a.problem(ctx, err)
		})
	huma.Register(a.huma, huma.Operation{OperationID: "delete-imageset", Method: http.MethodDelete, Path: "/v1/imagesets/{name}", Tags: []string{"imagesets"},
		DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *nameInput) (*struct{}, error) {
			if err := require(ctx, "imageset:manage:"+in.Name); err != nil {
				return nil, err
			}
			return nil, a.problem(ctx, a.Store.DeleteImageSet(ctx, in.Name))
		})
	a.registerImageSetCheck()
}

// checkImageSet validates a set: variants unique, images present and of the
// variant's arch and firmware.
func (a *API) checkImageSet(ctx context.Context, s api.ImageSet) error {
	seen := map[string]int{}
	var details []*huma.ErrorDetail
	for i, v := range s.Variants {
		loc := fmt.Sprintf("body.variants[%d]", i)
		if j, dup := seen[v.Key()]; dup {
			details = append(details, &huma.ErrorDetail{Location: loc, Message: fmt.Sprintf("variant %s repeats variants[%d]", v.Key(), j)})
			continue
		}
		seen[v.Key()] = i
		img, err := a.Store.GetImage(ctx, v.Image)
		switch {
		case err != nil:
			details = append(details, &huma.ErrorDetail{Location: loc + ".image", Message: "no image " + v.Image + " in the catalog; import it first", Value: v.Image})
		case img.Arch != v.Arch || !img.Firmware.Fits(v.Firmware):
			details = append(details, &huma.ErrorDetail{Location: loc + ".image", Message: fmt.Sprintf("image %s is %s/%s, not %s/%s", v.Image, img.Arch, img.Firmware, v.Arch, v.Firmware)})
		default:
			d, err := a.checkVariantImage(ctx, loc+".image", v.Image)
			if err != nil {
				return a.problem(ctx, err)
			}
			if d != nil {
				details = append(details, d)
			}
		}
	}
	if len(details) > 0 {
		return invalid("image set "+s.Name+" is not valid", details...)
	}
	return nil
}

func sameName(path, body string) error {
	if path == body {
		return nil
	}
	return invalid("the name in the body must match the URL", &huma.ErrorDetail{Location: "body.name", Message: fmt.Sprintf("is %q but the URL names %q; renaming is not supported", body, path), Value: body})
}
