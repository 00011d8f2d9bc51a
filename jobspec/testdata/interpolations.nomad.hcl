# Runtime interpolations must reach the job as literal text.
job "interp" {
  datacenters = ["dc1"]

  constraint {
    attribute = "${meta.rack}"
    operator  = "="
    value     = "r1"
  }

  constraint {
    distinct_hosts = true
  }

  constraint {
    attribute = "${attr.kernel.version}"
    version   = ">= 4.0"
  }

  constraint {
    attribute = "${attr.os.name}"
    regexp    = "^(ubuntu|debian)$"
  }

  constraint {
    attribute = "${attr.driver.docker.version}"
    semver    = ">= 19.3.0"
  }

  constraint {
    attribute    = "${meta.tags}"
    set_contains = "ssd,fast"
  }

  constraint {
    distinct_property = "${meta.rack}"
    value             = "2"
  }

  group "g" {
    network {
      mode = "bridge"
      port "http" {
        to = 8080
      }
    }

    task "proxy" {
      driver = "docker"
      kind   = "connect-proxy:api"
      leader = true

      lifecycle {
        hook    = "prestart"
        sidecar = true
      }

      config {
        image = "${meta.connect.sidecar_image}"
        args  = ["-c", "${NOMAD_SECRETS_DIR}/envoy_bootstrap.json", "-l", "${meta.connect.log_level}"]
      }

      env = {
        NODE      = "${node.unique.name}"
        HOME_DIR  = "${env.HOME}"
        UPSTREAM  = "${NOMAD_UPSTREAM_ADDR_count_api}"
        "dot.key" = "x"
      }

      meta = {
        kernel = "${attr.kernel.name}"
        mixed  = "port-${NOMAD_PORT_http}-on-${node.unique.name}"
      }

      shutdown_delay = "5s"
      kill_signal    = "SIGINT"
    }
  }
}
