package httpapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/installer/layout"
	"ingot.dev/ingot/server/template"
)

func (a *API) registerHostgroups() {
	huma.Register(a.huma, huma.Operation{OperationID: "list-hostgroups", Method: http.MethodGet, Path: "/v1/hostgroups", Tags: []string{"hostgroups"}},
		func(ctx context.Context, in *ListInput) (*pageOutput[api.Hostgroup], error) {
			if err := requireReader(ctx); err != nil {
				return nil, err
			}
			p, err := a.Store.ListHostgroups(ctx, in.options())
			return &pageOutput[api.Hostgroup]{p}, a.problem(ctx, err)
		})
	huma.Register(a.huma, huma.Operation{OperationID: "get-hostgroup", Method: http.MethodGet, Path: "/v1/hostgroups/{name}", Tags: []string{"hostgroups"}},
		func(ctx context.Context, in *nameInput) (*bodyOutput[api.Hostgroup], error) {
			if err := requireReader(ctx); err != nil {
				return nil, err
			}
			g, err := a.Store.GetHostgroup(ctx, in.Name)
			return &bodyOutput[api.Hostgroup]{g}, a.problem(ctx, err)
		})
	huma.Register(a.huma, huma.Operation{OperationID: "create-hostgroup", Method: http.MethodPost, Path: "/v1/hostgroups", Tags: []string{"hostgroups"},
		DefaultStatus: http.StatusCreated},
		func(ctx context.Context, in *bodyInput[api.Hostgroup]) (*bodyOutput[api.Hostgroup], error) {
			if err := a.checkHostgroup(ctx, in.Body, true); err != nil {
				return nil, err
			}
			g, err := a.Store.CreateHostgroup(ctx, in.Body)
			return &bodyOutput[api.Hostgroup]{g}, a.problem(ctx, err)
		})
	huma.Register(a.huma, huma.Operation{OperationID: "update-hostgroup", Method: http.MethodPut, Path: "/v1/hostgroups/{name}", Tags: []string{"hostgroups"}},
		func(ctx context.Context, in *namedBodyInput[api.Hostgroup]) (*bodyOutput[api.Hostgroup], error) {
			if err := require(ctx, "hostgroup:manage:"+in.Name); err != nil {
				return nil, err
			}
			if err := sameName(in.Name, in.Body.Name); err != nil {
				return nil, err
			}
			old, err := a.Store.GetHostgroup(ctx, in.Name)
			if err != nil {
				return nil, a.problem(ctx, err)
			}
			if err := a.checkHostgroup(ctx, in.Body, old.ImageSet != in.Body.ImageSet); err != nil {
				return nil, err
			}
			g, err := a.Store.UpdateHostgroup(ctx, in.Body)
			return &bodyOutput[api.Hostgroup]{g}, a.problem(ctx, err)
		})
	huma.Register(a.huma, huma.Operation{OperationID: "delete-hostgroup", Method: http.MethodDelete, Path: "/v1/hostgroups/{name}", Tags: []string{"hostgroups"},
		DefaultStatus: http.StatusNoContent},
		func(ctx context.Context, in *nameInput) (*struct{}, error) {
			if err := require(ctx, "hostgroup:manage:"+in.Name); err != nil {
				return nil, err
			}
			return nil, a.problem(ctx, a.Store.DeleteHostgroup(ctx, in.Name))
		})
}

// checkHostgroup needs manage scope on the group and deploy scope on the image
// set it points at (assigning a set is a way to deploy it), a valid template,
// and a set that exists. When the set is being assigned, every variant's
// image must check whole and the set's last recorded check must not have
// failed.
func (a *API) checkHostgroup(ctx context.Context, g api.Hostgroup, assigned bool) error {
	if err := require(ctx, "hostgroup:manage:"+g.Name, "imageset:deploy:"+g.ImageSet); err != nil {
		return err
	}
	var details []*huma.ErrorDetail
	for _, fe := range template.ValidateTemplate(g.Template) {
		details = append(details, &huma.ErrorDetail{Location: "body." + fe.Path, Message: fe.Message, Value: fe.Value})
	}
	if _, _, err := layout.FromHostgroup(g.Layout, g.Encryption); err != nil {
		loc := "body.layout"
		if strings.HasPrefix(err.Error(), "encryption") {
			loc = "body.encryption"
		}
		details = append(details, &huma.ErrorDetail{Location: loc, Message: err.Error() + " (see docs/layouts.md)"})
	}
	set, err := a.Store.GetImageSet(ctx, g.ImageSet)
	switch {
	case err != nil:
		details = append(details, &huma.ErrorDetail{Location: "body.image_set", Message: "no image set named " + g.ImageSet, Value: g.ImageSet})
	case assigned:
		d, err := a.checkAssignedSet(ctx, set)
		if err != nil {
			return a.problem(ctx, err)
		}
		details = append(details, d...)
	}
	if len(details) > 0 {
		return invalid("hostgroup "+g.Name+" is not valid", details...)
	}
	return nil
}
