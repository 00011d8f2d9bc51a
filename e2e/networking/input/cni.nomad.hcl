job "operator-net" {
  datacenters = ["dc1"]

  group "web" {
    network {
      mode = "cni/e2enet"
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
        cpu    = 50
        memory = 32
      }
    }
  }
}
