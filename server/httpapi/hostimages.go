package httpapi

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/hostimage"
	"ingot.dev/ingot/server/planner"
	"ingot.dev/ingot/server/steps"
)

// HostImages materializes host images (server/hostimage.Manager). Without
// it POST /v1/hosts/{name}/image answers 501.
type HostImages interface {
	Materialize(ctx context.Context, req hostimage.Request) (hostimage.Result, error)
	ForDeployment(ctx context.Context, d api.Deployment) (api.HostImage, error)
	Remove(ctx context.Context, id string) error
}

var _ HostImages = (*hostimage.Manager)(nil)

// HostImageRequest asks for a host's materialized image.
type HostImageRequest struct {
	Deployment api.DeploymentID `json:"deployment,omitempty" maxLength:"80" doc:"Remove the host image once this deployment succeeds."`
}

// HostImageResult is a materialized host image and what it cost.
type HostImageResult struct {
	api.HostImage
	NewChunks int    `json:"new_chunks" doc:"Chunks the chunk store did not hold."`
	Took      string `json:"took" doc:"Time to render, chunk, sign and record it."`
}

func (a *API) registerHostImages() {
	huma.Register(a.huma, huma.Operation{OperationID: "materialize-host-image", Method: http.MethodPost, Path: "/v1/hosts/{name}/image", Tags: []string{"hosts"},
		DefaultStatus: http.StatusCreated,
		Summary:       "Materialize the host's image: its hostgroup's base image (the variant that fits it) plus its config layer"},
		a.materializeHostImage)
}

func (a *API) materializeHostImage(ctx context.Context, in *namedBodyInput[HostImageRequest]) (*bodyOutput[HostImageResult], error) {
	h, err := a.Store.GetHost(ctx, in.Name)
	if err != nil {
		return nil, a.problem(ctx, err)
	}
	g, err := a.Store.GetHostgroup(ctx, h.Hostgroup)
	if err != nil {
		return nil, invalid("host has no usable hostgroup", &huma.ErrorDetail{Location: "path.name", Message: "host " + h.Name + " is in no hostgroup; assign one first", Value: h.Name})
	}
	if err := require(ctx, "hostgroup:deploy:"+g.Name, "imageset:deploy:"+g.ImageSet); err != nil {
		return nil, err
	}
	if a.HostImages == nil {
		return nil, huma.Error501NotImplemented("this server makes no host images")
	}
	if err := a.usableSet(ctx, g.ImageSet, "path.name", h.Name); err != nil {
		return nil, err
	}
	set, err := a.Store.GetImageSet(ctx, g.ImageSet)
	if err != nil {
		return nil, a.problem(ctx, err)
	}
	v, err := planner.PickVariant(h, set)
	var pe *planner.PlanError
	if errors.As(err, &pe) {
		return nil, invalid("no image for host "+h.Name, &huma.ErrorDetail{Location: "path.name", Message: pe.Message, Value: h.Name})
	}
	if err != nil {
		return nil, a.problem(ctx, err)
	}
	res, err := a.HostImages.Materialize(ctx, hostimage.Request{Host: h.Name, Base: v.Image, Deployment: in.Body.Deployment})
	if err != nil {
		return nil, a.problem(ctx, err)
	}
	return &bodyOutput[HostImageResult]{HostImageResult{HostImage: res.Image, NewChunks: res.NewChunks, Took: res.Took.Round(time.Millisecond).String()}}, nil
}

// hostImageOf returns the live host image made for deployment d, if there
// is one.
func (a *API) hostImageOf(ctx context.Context, d api.Deployment) (api.HostImage, bool, error) {
	his, err := a.Store.ListHostImages(ctx)
	if err != nil {
		return api.HostImage{}, false, err
	}
	hi, ok := hostimage.For(his, d.ID, steps.ImageOf(d), a.Now())
	return hi, ok, nil
}

// removeHostImages removes host images made for something that was then
// not made (a kit whose signing failed); failures are logged, the sweep
// removes those images when they expire.
func (a *API) removeHostImages(ctx context.Context, ids []string) {
	for _, id := range ids {
		if err := a.HostImages.Remove(ctx, id); err != nil {
			a.Log.WarnContext(ctx, "removing an unused host image", "image", id, "err", err)
		}
	}
}
