package httpapi

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/imagecheck"
	"ingot.dev/ingot/server/setcheck"
)

// ImageChecker verifies a stored image is whole (signature, chunks). The
// Images dependency may implement it; image sets are then checked on
// create and update.
type ImageChecker interface {
	CheckImage(ctx context.Context, id string) error
}

// ImageCollector reclaims chunks no image uses. The Images dependency may
// implement it; POST /v1/images/gc answers 501 otherwise.
type ImageCollector interface {
	// CollectImages deletes (or, dry, counts) unreferenced chunks older
	// than grace, keeping every chunk of the images in keep.
	CollectImages(ctx context.Context, keep []string, grace time.Duration, dryRun bool) (ImageGCResult, error)
}

// ImageGCRequest asks for a garbage collection pass.
type ImageGCRequest struct {
	DryRun bool   `json:"dry_run,omitempty" doc:"Report what would be reclaimed, delete nothing."`
	Grace  string `json:"grace,omitempty" maxLength:"32" doc:"Spare chunks written more recently than this Go duration; default 1h."`
}

// ImageGCResult says what a pass reclaimed (or would reclaim).
type ImageGCResult struct {
	DryRun bool  `json:"dry_run"`
	Chunks int   `json:"chunks" doc:"Chunks (and stale temporary files) reclaimed or reclaimable."`
	Bytes  int64 `json:"bytes" doc:"Stored bytes reclaimed or reclaimable."`
	Kept   int   `json:"kept" doc:"Chunks kept."`
}

// DefaultGCGrace spares chunks of imports still in progress.
const DefaultGCGrace = time.Hour

func (a *API) registerImageGC() {
	huma.Register(a.huma, huma.Operation{OperationID: "gc-images", Method: http.MethodPost, Path: "/v1/images/gc", Tags: []string{"images"},
		Summary: "Reclaim chunks no catalog image uses (admin)"},
		a.collectImages)
}

func (a *API) collectImages(ctx context.Context, in *bodyInput[ImageGCRequest]) (*bodyOutput[ImageGCResult], error) {
	if err := require(ctx, "admin"); err != nil {
		return nil, err
	}
	grace := DefaultGCGrace
	if in.Body.Grace != "" {
		d, err := time.ParseDuration(in.Body.Grace)
		if err != nil || d < 0 {
			return nil, invalid("grace is not a duration", &huma.ErrorDetail{Location: "body.grace", Message: "want a non-negative Go duration such as 1h or 30m", Value: in.Body.Grace})
		}
		grace = d
	}
	gc, ok := a.Images.(ImageCollector)
	if !ok {
		return nil, huma.Error501NotImplemented("this server's chunk store cannot collect garbage")
	}
	keep, err := a.catalogImageIDs(ctx)
	if err != nil {
		return nil, a.problem(ctx, err)
	}
	res, err := gc.CollectImages(ctx, keep, grace, in.Body.DryRun)
	return &bodyOutput[ImageGCResult]{res}, a.problem(ctx, err)
}

// catalogImageIDs lists every image in the catalog.
func (a *API) catalogImageIDs(ctx context.Context) ([]string, error) {
	var ids []string
	var page api.Page[api.Image]
	for first := true; first || page.NextCursor != ""; first = false {
		var err error
		if page, err = a.Store.ListImages(ctx, ListInput{Limit: 1000, Cursor: page.NextCursor}.options()); err != nil {
			return nil, fmt.Errorf("listing catalog images: %w", err)
		}
		for _, img := range page.Items {
			ids = append(ids, img.ID)
		}
	}
	return ids, nil
}

// checkVariantImage checks the stored image when Images can; a broken image
// is a detail at loc, a store failure an error.
func (a *API) checkVariantImage(ctx context.Context, loc, id string) (*huma.ErrorDetail, error) {
	c, ok := a.Images.(ImageChecker)
	if !ok {
		return nil, nil
	}
	err := c.CheckImage(ctx, id)
	var ce *imagecheck.Error
	switch {
	case err == nil:
		return nil, nil
	case errors.As(err, &ce):
		return &huma.ErrorDetail{Location: loc, Message: ce.Error(), Value: id}, nil
	}
	return nil, err
}

// checkAssignedSet checks a set being assigned to a hostgroup: its recorded
// check did not fail, and every variant's image checks whole now.
func (a *API) checkAssignedSet(ctx context.Context, set api.ImageSet) ([]*huma.ErrorDetail, error) {
	if msg := setcheck.Refusal(set); msg != "" {
		return []*huma.ErrorDetail{{Location: "body.image_set", Message: msg, Value: set.Name}}, nil
	}
	var details []*huma.ErrorDetail
	for _, v := range set.Variants {
		d, err := a.checkVariantImage(ctx, "body.image_set", v.Image)
		if err != nil {
			return nil, err
		}
		if d != nil {
			d.Message = fmt.Sprintf("image set %s variant %s: %s", set.Name, v.Key(), d.Message)
			details = append(details, d)
		}
	}
	return details, nil
}

// usableSet refuses to deploy host from a set whose recorded check failed.
func (a *API) usableSet(ctx context.Context, name, loc, host string) error {
	set, err := a.Store.GetImageSet(ctx, name)
	if err != nil {
		return nil // the planner says what is missing
	}
	if msg := setcheck.Refusal(set); msg != "" {
		return invalid("cannot deploy host "+host, &huma.ErrorDetail{Location: loc, Message: msg, Value: host})
	}
	return nil
}

// SetChecker checks an image set now and records the outcome
// (server/setcheck.Scheduler).
type SetChecker interface {
	CheckOne(ctx context.Context, set api.ImageSet) (api.ImageSetCheck, error)
}

func (a *API) registerImageSetCheck() {
	huma.Register(a.huma, huma.Operation{OperationID: "check-imageset", Method: http.MethodPost, Path: "/v1/imagesets/{name}/check", Tags: []string{"imagesets"},
		Summary: "Check every variant's image now (signature, every chunk present and whole) and record the outcome on the set"},
		func(ctx context.Context, in *nameInput) (*bodyOutput[api.ImageSet], error) {
			if err := require(ctx, "imageset:manage:"+in.Name); err != nil {
				return nil, err
			}
			if a.SetChecker == nil {
				return nil, huma.Error501NotImplemented("this server cannot check image sets")
			}
			set, err := a.Store.GetImageSet(ctx, in.Name)
			if err != nil {
				return nil, a.problem(ctx, err)
			}
			if _, err := a.SetChecker.CheckOne(ctx, set); err != nil {
				return nil, a.problem(ctx, err)
			}
			set, err = a.Store.GetImageSet(ctx, in.Name)
			return &bodyOutput[api.ImageSet]{set}, a.problem(ctx, err)
		})
}
