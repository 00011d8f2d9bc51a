package fingerprint

import "github.com/netnomad/netnomad/drivers"

// driversFingerprintUnknown stands in for a driver that returned no fingerprint.
var driversFingerprintUnknown = drivers.Fingerprint{HealthDescription: "driver returned no fingerprint"}
