# The countdash example from the Nomad 0.10 talk, with the sidecar run by raw_exec:
# no Envoy binary exists on these machines, so testapp stands in for it (it serves
# on the sidecar's port) while everything around it — injection, registration,
# bootstrap, lifecycle — is the real thing.
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
        sidecar_task {
          driver = "raw_exec"
          config {
            command = "__TESTAPP__"
            args    = ["serve", "-listen", ":${NOMAD_PORT_connect_proxy_count_api}"]
          }
        }
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
        static = 9002
        to     = 9002
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
        sidecar_task {
          driver = "raw_exec"
          config {
            command = "__TESTAPP__"
            args    = ["serve", "-listen", ":${NOMAD_PORT_connect_proxy_count_dashboard}"]
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
