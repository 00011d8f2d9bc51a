job "many" {
  datacenters = ["dc1"]

  group "web" {
    count = 50

    network {
      mode = "bridge"
      port "http" {
        to = 18080
      }
    }

    task "server" {
      driver = "raw_exec"
      config {
        command = "__TESTAPP__"
        args    = ["serve", "-listen", ":18080"]
      }
      resources {
        cpu    = 20
        memory = 16
      }
    }
  }
}
