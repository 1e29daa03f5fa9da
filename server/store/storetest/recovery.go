package storetest

import (
	"context"
	"testing"

	"ingot.dev/ingot/api"
	"ingot.dev/ingot/server/store"
)

func testRecoveryKeys(t *testing.T, s store.Store) {
	ctx := context.Background()
	if keys, _, err := s.RecoveryKeys(ctx, "n1"); err != nil || len(keys) != 0 {
		t.Fatalf("RecoveryKeys of a host without any = %v, %v; want none", keys, err)
	}
	k := api.RecoveryKey{Host: "n1", Volume: "crypt", Device: "/dev/md/md-data", Deployment: "dep_1", Passphrase: "secret"}
	got := must(s.PutRecoveryKey(ctx, k, []byte{1, 2, 3}))(t)
	if got.Passphrase != "" || got.CreatedAt.IsZero() {
		t.Errorf("PutRecoveryKey = %+v; want no passphrase and a creation time", got)
	}
	must(s.PutRecoveryKey(ctx, api.RecoveryKey{Host: "n1", Volume: "alpha", Deployment: "dep_1"}, []byte("a")))(t)
	must(s.PutRecoveryKey(ctx, api.RecoveryKey{Host: "n2", Volume: "crypt", Deployment: "dep_2"}, []byte("other host")))(t)
	// A redeploy replaces the volume's key.
	k.Deployment, k.Device = "dep_3", "/dev/vda4"
	want := must(s.PutRecoveryKey(ctx, k, []byte("new")))(t)
	keys, sealed, err := s.RecoveryKeys(ctx, "n1")
	check(t, err)
	if len(keys) != 2 || len(sealed) != 2 {
		t.Fatalf("RecoveryKeys(n1) = %+v, want alpha and crypt", keys)
	}
	diff(t, "RecoveryKeys(n1)[1]", want, keys[1])
	if keys[0].Volume != "alpha" || string(sealed[0]) != "a" || string(sealed[1]) != "new" {
		t.Errorf("RecoveryKeys(n1) = %+v sealed %q, want alpha (a) then crypt (new)", keys, sealed)
	}
}
