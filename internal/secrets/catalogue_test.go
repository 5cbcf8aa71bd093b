package secrets

import (
	"testing"
)

// catalogueExamples are a made-up positive and a near-miss negative example of every
// row of tokenFormats, keyed by the row's gitleaks rules.
var catalogueExamples = map[string]struct{ positive, negative string }{
	"1password-secret-key":                       {"A3-QSLOJO-FAKENSB1IAR-JFQ21-IQWO5-91X1U", "A4-QSLOJO-FAKENSB1IAR-JFQ21-IQWO5-91X1U"},
	"1password-service-account-token":            {"ops_eyJFAKER44WlZWtgv6hjyQ+eeYuQJ37xA2FcS/4gU0gsZvRe/bFEtrXlYVOcVI2E4rLAQnP0miJ8uEAoqT/8calEwUSh2bh2etfk2as2Eoy6LIFAnY59xqHl3RSGOvUbnmxlEsQMu+43FslQGpVQAfTL9vJshbGee4YyGGORvymTmhLvGDVBNiLq2UlFOMnzx8xiTT5mADhjqcfv1U90hT77Yw8YDE9WQNARnK/Hb2DCSmTG2gc+CMfoB5rcG2eBMvS7tRs", "ops_eyJFAKER44WlZWtgv6hjyQ+eeYuQJ37xA2FcS/4gU0gsZvRe/bFEtrXlYVOcVI2E4rLAQnP0miJ8uEAoqT/8calEwUSh2bh2etfk2as2Eoy6LIFAnY59xqHl3RSGOvUbnmxlEsQMu+43FslQGpVQAfTL9vJshbGee4YyGGORvymTmhLvGDVBNiLq2UlFOMnzx8xi"},
	"age-secret-key":                             {"AGE-SECRET-KEY-1WJ9SGGTXRFPAKCL6YU34C8D5CY76NPUC67R9SDQF5NDMJQD98GYCD52P2T", "AGE-SECRET-KEY-1WJ9SGGTXRFPAKCL6YU34C8D5"},
	"alibaba-access-key-id":                      {"LTAIFAKEk4LqxtasFzf2gJHD", "LTAIFAKEk4LqxtasFz"},
	"anthropic-api-key, anthropic-admin-api-key": {"sk-ant-api03-FAKE2n1mfhk1kjbMKUGPgTcnMN-4NF1R9d9quPA_LMi5B1RARfsT23CtuqsYNSUV2H3P_0aTwCyyr2zkKfzVG74N5SFYDAA", "sk-ant-api03-FAKE2n1mfhk1kjbMKUGPgTcnMN-4NF1R9d9quPA_LMi5B1RARfsT23CtuqsYNSUV2H3P_0aTwCyyr2zkKfzVG74N5SFYDZZ"},
	"artifactory-api-key":                        {"AKCpFAKER5bCxWMv6dZ2nKcxNbwkZDZZOzqvMk4bNCCsBchurnZZ63gI39dFfflocF7igsgAD", "AKCpFAKER5bCxWMv6dZ2nKcxNbwkZDZZOzqvMk4bNCCsBchurn"},
	"artifactory-reference-token":                {"cmVmdFAKELPuHBas7j3NdeCa1CMRuzfh9JJJy0uBLkESKse9MqfAmtPEdxHEumEY", "cmVmdAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"},
	"aws-amazon-bedrock-api-key-long-lived":      {"ABSKFAKEwa5qS5WReJ2Vz0fnk5AN46eXhC7bjAQ2qe4CziMREq4DJJOuKW+7A7CrsK00KarTPTJxl/k1Z/YNxmFJn5Z8BG2J8naPpBm8CVqEl3A2R2GvTVuxfm9a", "ABSKFAKEwa5qS5WReJ2Vz0fnk5AN46eXhC7bjAQ2qe4CziMREq4DJJOuKW+7"},
	"azure-ad-client-secret":                     {"BGU8Q~FAKEktzkBBYhIeRN1y4logI2kd3P9fNIaO", "BGU8Q-FAKEktzkBBYhIeRN1y4logI2kd3P9fNIaO"},
	"cloudflare-origin-ca-key":                   {"v1.0-a652bc76a32adedcc2bd589c-f242b0abddc536c363cdf6c28ee0b69f85b9a851a24789b0f25cedbd308572003d756e5a3d23dc1e929863f2e19e5bf68eda8c4a12f6d9bd6c1fd0a892d219762e04ef6003514991ee", "v1.0-a652bc76a32adedcc2bd589c-f242b0abddc536c363cdf6c28ee0b69f85b9a851a24789b0f25cedbd308572003d756e5a3d23dc1e929863f2e1"},
	"databricks-api-token":                       {"dapi39c710f8f54530a01858acb7697aa2c5", "dapi146ef812128f3fb8f04a"},
	"digitalocean-pat, digitalocean-access-token, digitalocean-refresh-token": {"dop_v1_959c8bdec5625e7d441a4a3eab060d9c4811d7a5313f54d5d8601d7e7e896f1d", "dox_v1_959c8bdec5625e7d441a4a3eab060d9c4811d7a5313f54d5d8601d7e7e896f1d"},
	"doppler-api-token":   {"dp.pt.FAKERgHqWqUpccPU1IV4sxOpQwMUYLViVd4pC3dZzX7", "dp.pt.FAKERgHqWqUpccPU1IV4sxOp"},
	"dynatrace-api-token": {"dt0c01.FAKEHG795GOCF3F318RHB9NV.FAKETsV8HzmRLlI16ij04ZNIL4kus5LQgljhfMUQcnHWGXDP1VPBrlHV4NBhz1ip", "dt0c02.FAKEHG795GOCF3F318RHB9NV.FAKETsV8HzmRLlI16ij04ZNIL4kus5LQgljhfMUQcnHWGXDP1VPBrlHV4NBhz1ip"},
	"flyio-access-token":  {"fo1_FAKEfWF4SqILxrbr1UGmtc-AGQ5NLJgav98mTrQsM5N", "fo1_FAKEfWF4SqILxrbr1UGmtc-AGQ"},
	"gitlab-deploy-token, gitlab-runner-authentication-token, gitlab-feed-token, gitlab-scim-token, gitlab-feature-flag-client-token": {"gldt-FAKEXiD6d9lfRvkqBPQD", "gldt-FAKEXiD6d9l"},
	"gitlab-kubernetes-agent-token":                                   {"glagent-FAKEdjFk6TosdCuZQaOPjaK_jmS1wwmROqJhBU9P8abxSufVO9", "glagent-FAKEdjFk6TosdCuZQaOPjaK_jmS1wwmR"},
	"gitlab-cicd-job-token":                                           {"glcbt-AY_FAKEPiPDQgzLCrOJYkrV", "glcbt-AY-FAKEPiPDQgzLCrOJYkrV"},
	"gitlab-incoming-mail-token, gitlab-oauth-app-secret, gitlab-ptt": {"glptt-fe7e8449922548989fc41b2ebd49acac3e9ee700", "glptt-52854452161ceabc06cc5cb352bedc"},
	"gitlab-rrt":                    {"GR1348941FAKENbV3FHx25TuCOgln", "GR1348941FAKENbV3FHx"},
	"grafana-cloud-api-token":       {"glc_FAKECXwUx9vq5F4NPJFnwMGqy2Nk6q50vGkeprW+1CqbcTs9C7TipzRbiM4HxRi+99iKkGJzc4v5MacM", "glc_FAKECXwUx9vq5F4NPJFn"},
	"grafana-service-account-token": {"glsa_FAKEsPXwJgAqXSpjzxHWbsbZtNMgrLHO_2b068b05", "glsa_FAKEsPXwJgAqXSpjzxHWbsbZtNMgrLHO"},
	"grafana-api-key":               {"eyJrIjoiFAKE9IeT0qmK1InjI9OyRZOBlWa2XRBxafMNXq2FlJK8qqdWXIJuPRURRsosPoDA2ihvIVE765gKjJ5o", "eyJrIjoiFAKE9IeT0qmK1InjI9OyRZOBlWa2XRBxafMNXq2FlJ"},
	"harness-api-key":               {"pat.FAKEaSAOVkkzjF9vDy8uh3.FAKEjXbVU8SZrIa5FATDcs7L.FAKEUSUZeo0verjMO2AD", "pet.FAKEaSAOVkkzjF9vDy8uh3.FAKEjXbVU8SZrIa5FATDcs7L.FAKEUSUZeo0verjMO2AD"},
	"hashicorp-tf-api-token":        {"FAKExae6cG7gPx.atlasv1.FAKErWtqcy0TM6l0V4REt4qVKtekkmmOyeY15Ki0xQu-aOa_TJY_SNipa9xkAb3n", "FAKExae6cG7gPx.atlasv2.FAKErWtqcy0TM6l0V4REt4qVKtekkmmOyeY15Ki0xQu-aOa_TJY_SNipa9xkAb3n"},
	"heroku-api-key-v2":             {"HRKU-AAFAKEamTmH1s4Gw2nOtlOUYBT2cHadFQcfTzl5tWGG5ckq1V15hIYMX8uII", "HRKU-AAFAKEamTmH1s4Gw2nOtlOUYBT2cHadFQcf"},
	"huggingface-access-token, huggingface-organization-api-token": {"hf_FAKEgxWGsPSEmPXxKfIEWGXBNrWEaHNdcW", "hf_FAKEgxWGsPSEmPXxK"},
	"linear-api-key":          {"lin_api_FAKEKwebaWysUyNsKtwK7JdFmiaVvvqXU2CPrYMx", "lin_api_FAKEKwebaWysUyNsKtwK7J"},
	"microsoft-teams-webhook": {"https://fake.webhook.office.com/webhookb2/51av20ig-8r7v-wius-l7d6-89myk6hv2kst@jz7djka0-zfuq-slvj-1fft-fvvvkzu7jm1m/IncomingWebhook/fakerost459qb8prj5noi38bd47cw1z8/l80252t9-z8af-2n3j-4ljt-og7aoen50zgi", "https://fake.webhook.office.com/webhookb2/51av20ig-8r7v-wius-l7d6-89myk6hv2kst@jz7djka0-zfuq-slvj-1fft-fvvvkzu7jm1m"},
	"notion-api-token":        {"ntn_89982656976FAKEoeyNMrAottiRDdjW4CAeZpvfd55TIsv", "ntn_89982656976FAKEoeyNMrAotti"},
	"npm-access-token":        {"npm_FAKEKthLyCblpSSVJJxzjCVUnfIkstoSWLnB", "npm_FAKEKthLyCblpSSVJJxzjCVUnf"},
	"octopus-deploy-api-key":  {"API-FAKEU5KP2AVOO9H8192OBYFFGN", "API-FAKEU5KP2AVOO9H8"},
	"openai-api-key":          {"sk-proj-FAKEgsyO7qvbJRQVQlqixQY3j-QaMGKhtsxb6ER83eSFPDl-m6YcL3kjo8T3BlbkFJFAKEpHGeEHxw4Rv0BiI4GK8j22fVleW6XoazrdHMJ0EyaR7Om_RbEe6uaA", "sk-proj-FAKEgsyO7qvbJRQVQlqixQY3j-QaMGKhtsxb6ER83eSFPDl-m6YcL3kjo8T3BlbkFKFAKEpHGeEHxw4Rv0BiI4GK8j22fVleW6XoazrdHMJ0EyaR7Om_RbEe6uaA"},
	"openshift-user-token":    {"sha256~FAKE5V3uyf45ofGR0v6-MgpxaOGqvCp8ah6HloVq9PX", "sha256:FAKE5V3uyf45ofGR0v6-MgpxaOGqvCp8ah6HloVq9PX"},
	"perplexity-api-key":      {"pplx-FAKEg7waYtBHOTdwi3gXk4k2qtC1z8CBA4mBAyvGY7iO5HpK", "pplx-FAKEg7waYtBHOTdwi3gXk4k2q"},
	"planetscale-api-token, planetscale-oauth-token, planetscale-password": {"pscale_pw_FAKEaeYTOHclXDYHBygoXNPs2LrcO735ziDJFyEm68u", "pscale_pw_FAKEaeYTOHclXDY"},
	"postman-api-token":    {"PMAK-4457196076831af475073a04-e994a85035cb5c3d753025d23d043198fa", "PMAK-4457196076831af475073a04"},
	"prefect-api-token":    {"pnu_FAKELHwEPIMst2txS5yeqZdK7EqTEcCtRmjG", "pnu_FAKELHwEPIMst2tx"},
	"pulumi-api-token":     {"pul-66344c9681955fced3c26730b2456cf6c11bdfef", "pul-912f68fe8097d50fdf39b8a710d5bd"},
	"pypi-upload-token":    {"pypi-AgEIcHlwaS5vcmcFAKEuUYp_TYP_uKzkP54mVgDo4HQTZG3Uh4KjmeV8kKjTv8DoRRFbdnhcYalgeC5ApycrI", "pypi-AgEIcHlwaS5vcmcFAKEuUYp_TYP_uKzkP54mVgDo4HQTZ"},
	"readme-api-token":     {"rdme_faked3juahm892t3g0f0djovhq6y29h5w76fwjyt6ocgs8zdb0r72pvmif67spxbudgbnw", "rdme_faked3juahm892t3g0f0djovhq6y29h5w76"},
	"rubygems-api-token":   {"rubygems_d1d2f909acffa76d428d630cc1dc00eae10df48b7f4ad2d7", "rubygems_d1d2f909acffa76d428d630cc1dc00e"},
	"sendgrid-api-token":   {"SG.FAKEbc4EyrPV2dj3ILhGGX.FAKEv-g3yGp0zQRb0tfUBUEpqQRd4I3QN77nBpnvSCx", "SG.FAKEbc4EyrPV2dj3ILhGGX.FAKEv-g3yGp0zQ"},
	"sendinblue-api-token": {"xkeysib-e029391aead5b47512ae4b709db30ad575c5e04a133c11ff4fd4c05160e6afaa-FAKEePnCJ2eRynuY", "xkeysib-e029391aead5b47512ae4b709db30ad575c5e04a133c11ff4fd4c05160e6afaa"},
	"sentry-user-token":    {"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", "sntryu_7ddf2d12d3a8254ee620edab1c567f9cd0cb0b024bb"},
	"shopify-access-token, shopify-custom-access-token, shopify-private-app-access-token, shopify-shared-secret": {"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", "shpat_f6528446d219cef5c4b"},
	"slack-app-token":            {"xapp-1-A66T1M640N2-5358086871307-fakeg4mj5nvzhbjuz7div3yvm35m3yvcti2ktw6cdzep9dd43yfy5qd4ngkipekt", "xapp-x-A66T1M640N2-5358086871307-fakeg4mj5nvzhbjuz7div3yvm35m3yvcti2ktw6cdzep9dd43yfy5qd4ngkipekt"},
	"slack-config-refresh-token": {"xoxe-1-FAKE7ENFQ73I3ZAVQ8KAW07JT7RDGSFW8V9TIET2MKW1AGWQ4XMDQ9XUB24Q4XMEMJ8SH34749KJO4HCJLW35DGRHKXKZ30OWS7COBK2IGJD81D8Q337LJIETC3BCC3JXSTRYAVH7PJ3ROKQCB", "xoxe-1-FAKE7ENFQ73I3ZAVQ8KAW07JT7RDGSFW8V9TIET2MKW1AGWQ4XMDQ9XUB24Q4XMEMJ8SH3474"},
	"vault-service-token":        {"hvs.FAKE5n0HFmb523XuUl6D-ckcaYmG-YYuGkwY8bhn9quHzFp9KpsYQQ95op7ffLtkfHGmFnWoR-XdZMOKvojoXwMMzrjqheCR", "hvs.FAKEGKeGZIxB1QuiOz65gBuT"},
	"vault-batch-token":          {"hvb.FAKEbrCuIIuGXE3OUZgFres3-HandkSSTdZNO6ayeisY6S6ofX05vtv_OGDRWqggx8vLATaOgHEcd_iSY1Qf-KxRWGHyCmSqY54ppezl6ZseYWOfMwT5yjFSYHVT2WNfo13Z-weu3KaJbIOHZdnTB4", "hvb.FAKEbrCuIIuGXE3OUZgFres3-HandkSSTdZNO6ayeisY6S6ofX05vtv_OGDRWqggx8vLATaOgHEcd_iSY1Qf-KxRWGHyCmSq"},
}

// TestCatalogueExamples holds every derived format to its examples: the positive is
// found alone, in a line of text and under any name, as the row's credential; the
// negative is not found.
func TestCatalogueExamples(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range tokenFormats {
		seen[f.rule] = true
		t.Run(f.rule, func(t *testing.T) {
			ex, ok := catalogueExamples[f.rule]
			if !ok || ex.positive == "" || ex.negative == "" {
				t.Fatalf("no positive and negative example for %q", f.rule)
			}
			for _, text := range []string{ex.positive, "token: " + ex.positive + "\n", `{"key":"` + ex.positive + `"}`} {
				ms := Scan(text)
				if len(ms) != 1 || ms[0].Kind != ServiceCredential || ms[0].Detail != f.detail || ms[0].Value != ex.positive {
					t.Errorf("Scan(%q) = %+v, want one %s", text, ms, f.detail)
				}
			}
			if m, ok := Detect("VALUE", ex.positive); !ok || m.Detail != f.detail {
				t.Errorf("Detect(%q) = %+v, want %s", ex.positive, m, f.detail)
			}
			for _, m := range Scan(ex.negative) {
				if m.Detail == f.detail {
					t.Errorf("Scan(%q) found %s in the negative example", ex.negative, f.detail)
				}
			}
			if m := Scan("x" + ex.positive); len(m) > 0 && m[0].Detail == f.detail && m[0].Offset == 1 {
				t.Errorf("%s found inside a longer word", f.detail)
			}
		})
	}
	for rule := range catalogueExamples {
		if !seen[rule] {
			t.Errorf("example for %q, which is not a row of tokenFormats", rule)
		}
	}
}

func TestKeyNames(t *testing.T) {
	yes := []string{"AZURE_STORAGE_KEY", "AZURE_BATCH_KEY", "OCI_CLI_KEY_CONTENT", "STORAGE_KEY",
		"KEY", "storageKey", "DB_ACCESS", "API", "LICENSE_KEY", "MASTER_KEYS", "ROUTER_AUTH"}
	no := []string{"PRIMARY_KEY", "FOREIGN_KEY", "KEY_ID", "KEY_PAIR_NAME", "API_VERSION",
		"ACCESS_LOG", "CACHE_KEY", "PUBLIC_KEY", "KEY_FILE", "KEYSTORE_PATH", "API_URL", "SORT_KEY",
		"AWS_ACCESS_KEY_ID", "ACCESS_LOG_FORMAT", "KEY_SIZE", "API_KEY_HEADER", "AUTH_HEADER",
		"KEY_VAULT_NAME", "RANDOM_ACCESS", "MONKEY", "KEYCLOAK_REALM", "IDEMPOTENCY_KEY", "AUTHOR"}
	for _, n := range yes {
		if !isKeyName(n) {
			t.Errorf("isKeyName(%q) = false, want true", n)
		}
	}
	for _, n := range no {
		if isKeyName(n) {
			t.Errorf("isKeyName(%q) = true, want false", n)
		}
	}
}

func TestLooksGenerated(t *testing.T) {
	yes := []string{"FAKEx9QmZ2pLw7Rt", "Fk4x9QmZ2pLw", "0f3a9c7e5b1d8264fa0c3e9b7d5a1f86",
		"FAKEk9mP2vQ7rT4wL8nB3cF6hJ1xZ0yU5sD2gA7eW4qR1tY8uI3oP6lK9jH2gF5dS8aZ1xC4vB7nM0qW3eR6tY9u0aq==",
		"a1B2c3D4e5F6g7H8", "Zx/9k+Qm2P7vL4w="}
	no := []string{"production", "abcdefghijkl", "my-cache-key-42", "v1.29.3", uuidValue, "/etc/keys/app.key",
		"shop/orders-db", "K8sCluster2024ProductionEU1", "${STORAGE_KEY}", "Ab1", "aaaaaaaaaaaa",
		"1234567890123", "https://vault.example.com", "db.shop.svc.cluster.local", "cart-7d9f8c6b5-x2k4p",
		"sha256:e3b0c44298fc1c149afbf4c8996fb924", "<your-key-here>", "ReplaceWithYourKey1"}
	for _, v := range yes {
		if !looksGenerated(v) {
			t.Errorf("looksGenerated(%q) = false, want true (entropy %.2f)", v, entropy(v))
		}
	}
	for _, v := range no {
		if looksGenerated(v) {
			t.Errorf("looksGenerated(%q) = true, want false", v)
		}
	}
}

// TestCheckReadsTheCatalogue: short credentials under key names, and Authorization
// values under any name (issue 13, item 8).
func TestCheckReadsTheCatalogue(t *testing.T) {
	for _, tc := range []struct {
		name, key, value string
		want             Kind
	}{
		{"short Azure storage key", "AZURE_STORAGE_KEY", "FAKEx9QmZ2pLw7Rt", NamedCredential},
		{"short Azure Batch key", "AZURE_BATCH_KEY", "Fk4x9QmZ2pLw7Rt1", NamedCredential},
		{"short OCI CLI key content", "OCI_CLI_KEY_CONTENT", "FAKEc0ntentK3y9Zq", NamedCredential},
		{"bearer token under a header name", "AUTH_HEADER", bearerLiteral, AuthHeader},
		{"bearer token under an API key header name", "X_API_KEY_HEADER", "Bearer FAKE-9f3kQz7LmP2x", AuthHeader},
		{"token scheme", "UPSTREAM_HEADER", "Token FAKEfake0123abcd", AuthHeader},
		{"basic credential", "PROXY_HEADER", "Basic ZmFrZTpmYWtlcGFzcw==", AuthHeader},
		{"a key name with a word value", "AZURE_STORAGE_KEY", "productionstorage", ""},
		{"a cache key", "CACHE_KEY", "user:profile:42", ""},
		{"a primary key column", "PRIMARY_KEY", "FAKEx9QmZ2pLw7Rt", ""},
		{"the name of a header", "AUTH_HEADER", "Authorization", ""},
		{"the name of an API key header", "X_API_KEY_HEADER", "X-API-Key", ""},
		{"a scheme without a token", "AUTH_HEADER", "Bearer", ""},
		{"a bearer reference", "AUTH_HEADER", "Bearer ${API_TOKEN}", ""},
		{"a bearer placeholder", "AUTH_HEADER", "Bearer xxxxxxxxxxxx", ""},
		{"a basic realm", "WWW_AUTHENTICATE", "Basic realm=shop", ""},
		{"basic that is not user:password", "PROXY_HEADER", "Basic aGVsbG8gd29ybGQ=", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, ok := Check(tc.key, tc.value)
			switch {
			case tc.want == "" && ok:
				t.Errorf("Check(%q, %q) = %s, want nothing", tc.key, tc.value, m.Kind)
			case tc.want != "" && (!ok || m.Kind != tc.want):
				t.Errorf("Check(%q, %q) = %v %s, want %s", tc.key, tc.value, ok, m.Kind, tc.want)
			}
		})
	}
}
