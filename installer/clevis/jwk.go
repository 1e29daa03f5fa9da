package clevis

import (
	"encoding/json"
	"fmt"
)

// ecJWK is an elliptic-curve public JWK as Tang and clevis exchange it.
type ecJWK struct {
	Alg    string   `json:"alg,omitempty"`
	Crv    string   `json:"crv"`
	KeyOps []string `json:"key_ops,omitempty"`
	Kty    string   `json:"kty"`
	X      string   `json:"x"`
	Y      string   `json:"y"`
}

func (k ecJWK) point() (curve, []byte, error) {
	if k.Kty != "EC" {
		return curve{}, nil, fmt.Errorf("jwk kty %q, want EC", k.Kty)
	}
	c, err := curveByName(k.Crv)
	if err != nil {
		return curve{}, nil, err
	}
	x, err := b64.DecodeString(k.X)
	if err != nil {
		return curve{}, nil, fmt.Errorf("jwk x: %w", err)
	}
	y, err := b64.DecodeString(k.Y)
	if err != nil {
		return curve{}, nil, fmt.Errorf("jwk y: %w", err)
	}
	p, err := c.point(x, y)
	if err != nil {
		return curve{}, nil, err
	}
	// Check the point is on the curve.
	if _, err := c.add(p, p); err != nil {
		return curve{}, nil, fmt.Errorf("jwk point: %w", err)
	}
	return c, p, nil
}

func pointJWK(c curve, p []byte, alg string) ecJWK {
	x, y := c.xy(p)
	return ecJWK{Alg: alg, Crv: c.name, Kty: "EC", X: b64.EncodeToString(x), Y: b64.EncodeToString(y)}
}

func marshalJWK(k ecJWK) json.RawMessage {
	b, _ := json.Marshal(k)
	return b
}
