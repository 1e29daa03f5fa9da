package builds

import (
	"context"
	"errors"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

// landInSet makes img the image of its variants in the named set (creating
// the set if it does not exist) and returns the variant keys it set. An
// image for both firmwares fills the bios and the uefi variant.
func landInSet(ctx context.Context, st Store, name string, img api.Image, secureBoot bool) ([]string, error) {
	var want []api.Variant
	for _, fw := range []api.Firmware{api.FirmwareBIOS, api.FirmwareUEFI} {
		if img.Firmware.Fits(fw) {
			want = append(want, api.Variant{Arch: img.Arch, Firmware: fw, SecureBoot: secureBoot, Image: img.ID})
		}
	}
	keys := make([]string, len(want))
	for i, v := range want {
		keys[i] = v.Key()
	}
	set, err := st.GetImageSet(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		_, err = st.CreateImageSet(ctx, api.ImageSet{Name: name, Description: "built by ingot image build", Variants: want})
		if !isConflict(err) {
			return keys, err
		}
		set, err = st.GetImageSet(ctx, name) // created meanwhile: update it
	}
	if err != nil {
		return nil, err
	}
	set.Variants = withVariants(set.Variants, want)
	_, err = st.UpdateImageSet(ctx, set)
	return keys, err
}

// withVariants replaces the variants of have that want has keys for and
// appends the others.
func withVariants(have, want []api.Variant) []api.Variant {
	out := append([]api.Variant(nil), have...)
	for _, w := range want {
		replaced := false
		for i := range out {
			if out[i].Key() == w.Key() {
				out[i], replaced = w, true
			}
		}
		if !replaced {
			out = append(out, w)
		}
	}
	return out
}

func isConflict(err error) bool {
	var ce *store.ConflictError
	return errors.As(err, &ce)
}
