# Variables, locals and functions, resolved while parsing.
variable "image" {
  type    = string
  default = "redis:7"
}

variable "count" {
  type    = number
  default = 1
}

variables {
  region = "global"
}

locals {
  dcs  = [for s in ["dc1", "dc2"] : upper(s)]
  name = "cache-${var.region}"
}

job "vars" {
  region      = var.region
  datacenters = local.dcs

  meta {
    known   = "${var.region}"
    unknown = "${UNKNOWN}"
    name    = local.name
  }

  group "cache" {
    count = var.count

    task "redis" {
      driver = "docker"

      config {
        image = var.image
        args  = [for p in ["a", "b"] : "${p}-${NOMAD_ALLOC_INDEX}"]
      }
    }
  }
}
