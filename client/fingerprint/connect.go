package fingerprint

// Node meta Nomad clients set for Connect sidecars unless the operator's client
// `meta` block already does: the injected Envoy task reads them as
// ${meta.connect.sidecar_image}, ${meta.connect.log_level} and
// ${meta.connect.proxy_concurrency}.
const (
	MetaConnectSidecarImage     = "connect.sidecar_image"
	MetaConnectLogLevel         = "connect.log_level"
	MetaConnectProxyConcurrency = "connect.proxy_concurrency"

	// DefaultConnectSidecarImage is Nomad 0.10's pinned Envoy image.
	DefaultConnectSidecarImage = "envoyproxy/envoy:v1.11.2@sha256:a7769160c9c1a55bb8d07a3b71ce5d64f72b1f665f10d81aa1581bc3cf850d09"
	DefaultConnectLogLevel     = "info"
	// DefaultConnectProxyConcurrency is Envoy's worker thread count (Nomad 1.0+).
	DefaultConnectProxyConcurrency = "1"
)

// setConnectMeta adds the Connect defaults missing from meta.
func setConnectMeta(meta map[string]string) {
	for k, v := range map[string]string{
		MetaConnectSidecarImage:     DefaultConnectSidecarImage,
		MetaConnectLogLevel:         DefaultConnectLogLevel,
		MetaConnectProxyConcurrency: DefaultConnectProxyConcurrency,
	} {
		if _, ok := meta[k]; !ok {
			meta[k] = v
		}
	}
}
