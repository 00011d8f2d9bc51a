# A Nomad 0.10-era job: a group network in bridge mode and a Connect service.
job "web" {
  datacenters = ["dc1"]

  group "api" {
    count = 1

    network {
      mode  = "bridge"
      mbits = 20

      port "http" {
        static = 8080
        to     = 9090
      }

      port "metrics" {
        to = 9102
      }

      port "grpc" {}
    }

    service {
      name        = "api"
      port        = "9090"
      tags        = ["v1"]
      canary_tags = ["canary"]

      meta {
        version = "1"
      }

      connect {
        sidecar_service {
          tags = ["mesh"]

          proxy {
            local_service_port = 9090

            upstreams {
              destination_name = "db"
              local_bind_port  = 5432
            }

            upstreams {
              destination_name = "cache"
              local_bind_port  = 6379
            }

            config {
              protocol = "http"
            }
          }
        }

        sidecar_task {
          resources {
            cpu    = 200
            memory = 96
          }
        }
      }

      check {
        name     = "api-script"
        type     = "script"
        task     = "server"
        command  = "/bin/check"
        args     = ["-port", "${NOMAD_PORT_http}"]
        interval = "15s"
        timeout  = "3s"
      }

      check_restart {
        limit = 3
        grace = "90s"
      }
    }

    service {
      name         = "api-metrics"
      port         = "metrics"
      address_mode = "host"
    }

    task "server" {
      driver = "exec"

      config {
        command = "/usr/local/bin/api"
        args    = ["-listen", "127.0.0.1:9090", "-db", "${NOMAD_UPSTREAM_ADDR_db}"]
      }

      resources {
        cpu    = 300
        memory = 128
      }
    }
  }
}
