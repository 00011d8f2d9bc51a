# HCL1 habits: commas after attributes, quoted keys, meta = {...}.
job "legacy1" {
  datacenters = ["dc1"],
  type = "service",

  meta = {
    "team" = "infra"
    "tier.level" = "1"
  }

  group "web" {
    count = 2,

    task "nginx" {
      driver = "docker",

      config {
        image = "nginx",
        port_map {
          http = 80
        }
      }

      env = {
        FOO = "bar"
      }

      resources {
        cpu = 100,
        memory = 64,
        network {
          port "http" { static = 8080 }
        }
      }
    }
  }
}
