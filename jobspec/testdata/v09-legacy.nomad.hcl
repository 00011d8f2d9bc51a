# A Nomad 0.9-era job: networking lives in the task's resources block.
job "legacy" {
  region      = "global"
  datacenters = ["dc1", "dc2"]
  type        = "service"
  priority    = 60

  constraint {
    attribute = "${attr.kernel.name}"
    value     = "linux"
  }

  update {
    max_parallel     = 1
    min_healthy_time = "10s"
    healthy_deadline = "5m"
  }

  group "cache" {
    count = 2

    restart {
      attempts = 3
      interval = "30m"
      delay    = "15s"
      mode     = "fail"
    }

    ephemeral_disk {
      size = 300
    }

    task "redis" {
      driver = "docker"

      config {
        image = "redis:3.2"
        args  = ["--port", "${NOMAD_PORT_db}"]

        port_map {
          db = 6379
        }

        logging {
          type = "syslog"

          config {
            tag = "redis"
          }
        }
      }

      env {
        REDIS_DIR = "${NOMAD_TASK_DIR}/data"
      }

      meta {
        owner = "cache-team"
      }

      resources {
        cpu    = 500
        memory = 256

        network {
          mbits = 10

          port "db" {}

          port "admin" {
            static = 8080
          }
        }
      }

      service {
        name = "redis-cache"
        tags = ["global", "cache"]
        port = "db"

        check {
          name     = "alive"
          type     = "tcp"
          interval = "10s"
          timeout  = "2s"
        }
      }

      kill_timeout = "20s"

      logs {
        max_files     = 10
        max_file_size = 15
      }
    }

    task "probe" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "echo ${node.unique.name}; sleep 3600"]
      }

      resources {
        cpu    = 100
        memory = 64
      }
    }
  }
}
