job "counter" {
  datacenters = ["dc1"]

  group "app" {
    count = 1

    network {
      port "http" {}
    }

    restart {
      attempts = 1
      delay    = "1s"
      interval = "1m"
      mode     = "fail"
    }

    task "count" {
      driver = "raw_exec"

      config {
        command = "/bin/sh"
        args    = ["-c", "echo started alloc=${NOMAD_ALLOC_ID} port=${NOMAD_PORT_http} task=${NOMAD_TASK_NAME}; echo $$ >> ${NOMAD_ALLOC_DIR}/pids; echo oops >&2; exec sleep 3600"]
      }

      resources {
        cpu    = 50
        memory = 32
      }
    }
  }
}
