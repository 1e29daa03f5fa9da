package clevis

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/google/go-tpm/tpm2"
	"github.com/google/go-tpm/tpm2/transport"
)

// TPM2Header is clevis.tpm2: how the JWE's key is sealed.
type TPM2Header struct {
	Hash    string `json:"hash"`
	Key     string `json:"key"`
	PCRBank string `json:"pcr_bank,omitempty"`
	PCRIDs  string `json:"pcr_ids,omitempty"`
	JWKPub  string `json:"jwk_pub"`
	JWKPriv string `json:"jwk_priv"`
}

// TPM2Pin seals to the TPM under a policy on PCRIDs of the PCRBank bank.
type TPM2Pin struct {
	PCRBank string // default sha256 (clevis itself defaults to sha1)
	PCRIDs  []int  // default [7]
}

// primaryTemplate is the exact template of `tpm2_createprimary -C o -g
// sha256 -G ecc` (tpm2-tools 5): ECC P-256, AES-128-CFB, no noDA, empty
// unique. The owner hierarchy derives the same key from it every time, so
// clevis and Ingot find the same parent.
func primaryTemplate() tpm2.TPMTPublic {
	return tpm2.TPMTPublic{
		Type:    tpm2.TPMAlgECC,
		NameAlg: tpm2.TPMAlgSHA256,
		ObjectAttributes: tpm2.TPMAObject{
			FixedTPM: true, FixedParent: true, SensitiveDataOrigin: true,
			UserWithAuth: true, Restricted: true, Decrypt: true,
		},
		Parameters: tpm2.NewTPMUPublicParms(tpm2.TPMAlgECC, &tpm2.TPMSECCParms{
			Symmetric: tpm2.TPMTSymDefObject{
				Algorithm: tpm2.TPMAlgAES,
				KeyBits:   tpm2.NewTPMUSymKeyBits(tpm2.TPMAlgAES, tpm2.TPMKeyBits(128)),
				Mode:      tpm2.NewTPMUSymMode(tpm2.TPMAlgAES, tpm2.TPMAlgCFB),
			},
			Scheme:  tpm2.TPMTECCScheme{Scheme: tpm2.TPMAlgNull},
			CurveID: tpm2.TPMECCNistP256,
			KDF:     tpm2.TPMTKDFScheme{Scheme: tpm2.TPMAlgNull},
		}),
		Unique: tpm2.NewTPMUPublicID(tpm2.TPMAlgECC, &tpm2.TPMSECCPoint{}),
	}
}

func bankAlg(bank string) (tpm2.TPMIAlgHash, error) {
	switch bank {
	case "sha1":
		return tpm2.TPMAlgSHA1, nil
	case "sha256":
		return tpm2.TPMAlgSHA256, nil
	case "sha384":
		return tpm2.TPMAlgSHA384, nil
	case "sha512":
		return tpm2.TPMAlgSHA512, nil
	}
	return 0, fmt.Errorf("unknown pcr bank %q", bank)
}

func pcrSelection(bank string, ids []int) (tpm2.TPMLPCRSelection, error) {
	alg, err := bankAlg(bank)
	if err != nil {
		return tpm2.TPMLPCRSelection{}, err
	}
	u := make([]uint, len(ids))
	for i, id := range ids {
		if id < 0 || id > 23 {
			return tpm2.TPMLPCRSelection{}, fmt.Errorf("pcr id %d out of range", id)
		}
		u[i] = uint(id)
	}
	return tpm2.TPMLPCRSelection{PCRSelections: []tpm2.TPMSPCRSelection{
		{Hash: alg, PCRSelect: tpm2.PCClientCompatible.PCRs(u...)},
	}}, nil
}

func createPrimary(tpm transport.TPM) (*tpm2.CreatePrimaryResponse, func(), error) {
	rsp, err := tpm2.CreatePrimary{
		PrimaryHandle: tpm2.AuthHandle{Handle: tpm2.TPMRHOwner, Auth: tpm2.PasswordAuth(nil)},
		InPublic:      tpm2.New2B(primaryTemplate()),
	}.Execute(tpm)
	if err != nil {
		return nil, nil, fmt.Errorf("tpm2: creating the primary key: %w", err)
	}
	return rsp, func() { _, _ = tpm2.FlushContext{FlushHandle: rsp.ObjectHandle}.Execute(tpm) }, nil
}

// pcrSession starts a policy session (a trial one to compute a digest)
// and applies PolicyPCR on the current values of sel.
func pcrSession(tpm transport.TPM, sel tpm2.TPMLPCRSelection, trial bool) (tpm2.Session, func() error, error) {
	var opts []tpm2.AuthOption
	if trial {
		opts = append(opts, tpm2.Trial())
	}
	sess, closer, err := tpm2.PolicySession(tpm, tpm2.TPMAlgSHA256, 16, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("tpm2: policy session: %w", err)
	}
	if _, err := (tpm2.PolicyPCR{PolicySession: sess.Handle(), Pcrs: sel}).Execute(tpm); err != nil {
		_ = closer()
		return nil, nil, fmt.Errorf("tpm2: PolicyPCR: %w", err)
	}
	return sess, closer, nil
}

func defaults(p TPM2Pin) (string, []int) {
	bank, ids := p.PCRBank, p.PCRIDs
	if bank == "" {
		bank = "sha256"
	}
	if len(ids) == 0 {
		ids = []int{7}
	}
	return bank, ids
}

// encryptTPM2 makes a clevis tpm2 JWE of plaintext: a random A256GCM key,
// sealed as a JWK under the primary key with a PCR policy.
func encryptTPM2(tpm transport.TPM, pin TPM2Pin, plaintext []byte) (*JWE, error) {
	if tpm == nil {
		return nil, errors.New("tpm2: no TPM")
	}
	bank, ids := defaults(pin)
	sel, err := pcrSelection(bank, ids)
	if err != nil {
		return nil, err
	}
	sess, closeSess, err := pcrSession(tpm, sel, true)
	if err != nil {
		return nil, err
	}
	digest, err := tpm2.PolicyGetDigest{PolicySession: sess.Handle()}.Execute(tpm)
	_ = closeSess()
	if err != nil {
		return nil, fmt.Errorf("tpm2: policy digest: %w", err)
	}
	primary, flush, err := createPrimary(tpm)
	if err != nil {
		return nil, err
	}
	defer flush()
	cek := make([]byte, 32)
	if _, err := rand.Read(cek); err != nil {
		return nil, err
	}
	jwk, _ := json.Marshal(octJWK{Alg: "A256GCM", K: b64.EncodeToString(cek), KeyOps: []string{"encrypt", "decrypt"}, Kty: "oct"})
	created, err := tpm2.Create{
		ParentHandle: tpm2.AuthHandle{Handle: primary.ObjectHandle, Name: primary.Name, Auth: tpm2.PasswordAuth(nil)},
		InSensitive: tpm2.TPM2BSensitiveCreate{Sensitive: &tpm2.TPMSSensitiveCreate{
			Data: tpm2.NewTPMUSensitiveCreate(&tpm2.TPM2BSensitiveData{Buffer: jwk}),
		}},
		InPublic: tpm2.New2B(tpm2.TPMTPublic{
			Type:             tpm2.TPMAlgKeyedHash,
			NameAlg:          tpm2.TPMAlgSHA256,
			ObjectAttributes: tpm2.TPMAObject{FixedTPM: true, FixedParent: true, NoDA: true, AdminWithPolicy: true},
			AuthPolicy:       tpm2.TPM2BDigest{Buffer: digest.PolicyDigest.Buffer},
			Parameters: tpm2.NewTPMUPublicParms(tpm2.TPMAlgKeyedHash, &tpm2.TPMSKeyedHashParms{
				Scheme: tpm2.TPMTKeyedHashScheme{Scheme: tpm2.TPMAlgNull},
			}),
		}),
	}.Execute(tpm)
	if err != nil {
		return nil, fmt.Errorf("tpm2: sealing: %w", err)
	}
	strIDs := make([]string, len(ids))
	for i, id := range ids {
		strIDs[i] = strconv.Itoa(id)
	}
	h := Header{Alg: "dir", Enc: "A256GCM", Clevis: ClevisHeader{Pin: "tpm2", TPM2: &TPM2Header{
		Hash: "sha256", Key: "ecc", PCRBank: bank, PCRIDs: strings.Join(strIDs, ","),
		JWKPub:  b64.EncodeToString(tpm2.Marshal(created.OutPublic)),
		JWKPriv: b64.EncodeToString(tpm2.Marshal(created.OutPrivate)),
	}}}
	return seal(h, cek, plaintext)
}

// decryptTPM2 unseals a clevis tpm2 JWE's key and decrypts it.
func decryptTPM2(tpm transport.TPM, j *JWE) ([]byte, error) {
	h := j.Header.Clevis.TPM2
	if h == nil || j.Header.Alg != "dir" {
		return nil, errors.New("tpm2 jwe without clevis.tpm2 or alg dir")
	}
	if tpm == nil {
		return nil, errors.New("tpm2: no TPM")
	}
	if h.Hash != "sha256" || h.Key != "ecc" {
		return nil, fmt.Errorf("tpm2: primary key %s/%s: only sha256/ecc is supported", h.Hash, h.Key)
	}
	pubB, err := b64.DecodeString(h.JWKPub)
	if err != nil {
		return nil, fmt.Errorf("tpm2 jwk_pub: %w", err)
	}
	privB, err := b64.DecodeString(h.JWKPriv)
	if err != nil {
		return nil, fmt.Errorf("tpm2 jwk_priv: %w", err)
	}
	pub, err := tpm2.Unmarshal[tpm2.TPM2BPublic](pubB)
	if err != nil {
		return nil, fmt.Errorf("tpm2 jwk_pub: %w", err)
	}
	priv, err := tpm2.Unmarshal[tpm2.TPM2BPrivate](privB)
	if err != nil {
		return nil, fmt.Errorf("tpm2 jwk_priv: %w", err)
	}
	primary, flush, err := createPrimary(tpm)
	if err != nil {
		return nil, err
	}
	defer flush()
	loaded, err := tpm2.Load{
		ParentHandle: tpm2.AuthHandle{Handle: primary.ObjectHandle, Name: primary.Name, Auth: tpm2.PasswordAuth(nil)},
		InPrivate:    *priv, InPublic: *pub,
	}.Execute(tpm)
	if err != nil {
		return nil, fmt.Errorf("tpm2: loading the sealed key (another TPM?): %w", err)
	}
	defer func() { _, _ = tpm2.FlushContext{FlushHandle: loaded.ObjectHandle}.Execute(tpm) }()
	auth := tpm2.Session(tpm2.PasswordAuth(nil))
	if h.PCRIDs != "" {
		var ids []int
		for _, s := range strings.Split(h.PCRIDs, ",") {
			id, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || slices.Contains(ids, id) {
				return nil, fmt.Errorf("tpm2 pcr_ids %q: bad id %q", h.PCRIDs, s)
			}
			ids = append(ids, id)
		}
		sel, err := pcrSelection(h.PCRBank, ids)
		if err != nil {
			return nil, err
		}
		sess, closeSess, err := pcrSession(tpm, sel, false)
		if err != nil {
			return nil, err
		}
		defer func() { _ = closeSess() }()
		auth = sess
	}
	un, err := tpm2.Unseal{ItemHandle: tpm2.AuthHandle{Handle: loaded.ObjectHandle, Name: loaded.Name, Auth: auth}}.Execute(tpm)
	if err != nil {
		return nil, fmt.Errorf("tpm2: unsealing (PCR %s:%s changed?): %w", h.PCRBank, h.PCRIDs, err)
	}
	var k octJWK
	if err := json.Unmarshal(un.OutData.Buffer, &k); err != nil {
		return nil, fmt.Errorf("tpm2: sealed jwk: %w", err)
	}
	cek, err := b64.DecodeString(k.K)
	if err != nil {
		return nil, fmt.Errorf("tpm2: sealed jwk: %w", err)
	}
	return j.open(cek)
}
