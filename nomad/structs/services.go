package structs

import "time"

// Service address modes.
const (
	AddressModeAuto   = "auto"
	AddressModeHost   = "host"
	AddressModeDriver = "driver"
	AddressModeAlloc  = "alloc"
)

// Service is registered in service discovery (Consul) for a group or a task.
type Service struct {
	Name              string
	TaskName          string
	PortLabel         string
	AddressMode       string
	Tags              []string
	CanaryTags        []string
	EnableTagOverride bool
	Meta              map[string]string
	CanaryMeta        map[string]string
	Checks            []*ServiceCheck
	CheckRestart      *CheckRestart
	Connect           *ConsulConnect
}

// ServiceCheck is a health check of a service.
type ServiceCheck struct {
	Name          string
	Type          string
	Command       string
	Args          []string
	Path          string
	Protocol      string
	PortLabel     string
	Expose        bool
	AddressMode   string
	Interval      time.Duration
	Timeout       time.Duration
	InitialStatus string
	Method        string
	Header        map[string][]string
	TaskName      string
	CheckRestart  *CheckRestart
}

// CheckRestart restarts a task whose check stays unhealthy.
type CheckRestart struct {
	Limit          int
	Grace          time.Duration
	IgnoreWarnings bool
}

// ConsulConnect configures a service's place in the Connect mesh.
type ConsulConnect struct {
	Native         bool
	SidecarService *ConsulSidecarService
	SidecarTask    *SidecarTask
	Gateway        *ConsulGateway
}

// HasSidecar reports whether a sidecar proxy must run for the service.
func (c *ConsulConnect) HasSidecar() bool { return c != nil && c.SidecarService != nil }

// ConsulSidecarService is the sidecar's own service registration.
type ConsulSidecarService struct {
	Tags                   []string
	Port                   string
	Proxy                  *ConsulProxy
	DisableDefaultTCPCheck bool
	Meta                   map[string]string
}

// SidecarTask overrides fields of the injected sidecar task.
type SidecarTask struct {
	Name          string
	Driver        string
	User          string
	Config        map[string]any
	Env           map[string]string
	Resources     *Resources
	Meta          map[string]string
	KillTimeout   *time.Duration
	LogConfig     *LogConfig
	ShutdownDelay *time.Duration
	KillSignal    string
}

// ConsulProxy configures the sidecar proxy.
type ConsulProxy struct {
	LocalServiceAddress string
	LocalServicePort    int
	Upstreams           []*ConsulUpstream
	Expose              *ConsulExposeConfig
	Config              map[string]any
}

// ConsulUpstream is a service the group reaches through its sidecar on loopback.
type ConsulUpstream struct {
	DestinationName  string
	LocalBindPort    int
	LocalBindAddress string
	Datacenter       string
}

// ConsulExposeConfig exposes HTTP paths of the service through the proxy.
type ConsulExposeConfig struct {
	Paths []ConsulExposePath
}

// ConsulExposePath is one exposed path.
type ConsulExposePath struct {
	Path          string
	Protocol      string
	LocalPathPort int
	ListenerPort  string
}

// ConsulGateway configures a gateway (mesh, ingress, terminating); its details
// are kept opaque until gateways are built.
type ConsulGateway struct {
	Proxy map[string]any
	Kind  string
}
