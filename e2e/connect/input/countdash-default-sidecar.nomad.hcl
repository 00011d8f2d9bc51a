# The countdash example from the Nomad 0.10 talk exactly as a user writes it for
# Docker-less nodes whose operator configured the sidecar in the agent
# (server { connect { sidecar_driver = "raw_exec" ... } }): no sidecar_task at all.
# The apps are testapp under raw_exec; the agent's sidecar command is testapp's
# envoy stand-in, since no Envoy binary exists on these machines.
job "countdash" {
  datacenters = ["dc1"]

  group "api" {
    network {
      mode = "bridge"
    }

    service {
      name = "count-api"
      port = "9001"

      connect {
        sidecar_service {}
      }
    }

    task "web" {
      driver = "raw_exec"
      config {
        command = "__TESTAPP__"
        args    = ["serve", "-listen", ":9001"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }

  group "dashboard" {
    network {
      mode = "bridge"
      port "http" {
        to = 9002
      }
    }

    service {
      name = "count-dashboard"
      port = "9002"

      connect {
        sidecar_service {
          proxy {
            upstreams {
              destination_name = "count-api"
              local_bind_port  = 8080
            }
          }
        }
      }
    }

    task "dashboard" {
      driver = "raw_exec"
      env {
        COUNTING_SERVICE_URL = "http://${NOMAD_UPSTREAM_ADDR_count_api}"
      }
      config {
        command = "__TESTAPP__"
        args    = ["serve", "-listen", ":9002"]
      }
      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
