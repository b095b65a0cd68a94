/// The console's style sheet and its one script, served from the console itself: a page needs
/// nothing from outside the machine, and the Content-Security-Policy allows nothing else.
enum Assets {
    static let css = """
        :root { --fg: #1d2329; --muted: #5f6b76; --line: #d8dde2; --accent: #1565c0; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; color: var(--fg); background: #f6f7f9; }
        header { display: flex; align-items: center; gap: 1rem; padding: .6rem 1.2rem; background: #14213d; color: #fff; }
        header .brand { font-weight: 700; letter-spacing: .03em; }
        header .party { padding: .1rem .5rem; border-radius: .3rem; background: #fca311; color: #14213d; font-weight: 600; }
        header nav { margin-left: auto; display: flex; gap: 1rem; align-items: center; }
        header nav a { color: #fff; text-decoration: none; }
        header nav button { background: transparent; color: #fff; border: 1px solid #fff6; border-radius: .3rem; cursor: pointer; }
        main { max-width: 1200px; margin: 1rem auto; padding: 0 1.2rem; }
        footer { max-width: 1200px; margin: 2rem auto; padding: 0 1.2rem; color: var(--muted); font-size: 13px; }
        h1 { font-size: 1.5rem; margin: .6rem 0; } h2 { font-size: 1.15rem; margin-top: 1.6rem; }
        table { border-collapse: collapse; width: 100%; background: #fff; margin: .4rem 0; }
        th, td { text-align: left; padding: .35rem .55rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { background: #eef1f4; font-weight: 600; }
        code { font: 12px/1.3 ui-monospace, "DejaVu Sans Mono", monospace; word-break: break-all; }
        pre { background: #fff; border: 1px solid var(--line); padding: .6rem; white-space: pre-wrap; font-size: 13px; }
        .phase { display: inline-block; padding: .05rem .5rem; border-radius: 1rem; font-size: 13px; font-weight: 600; background: #e3e7eb; }
        .phase-completed { background: #c8e6c9; color: #1b5e20; } .phase-failed { background: #ffcdd2; color: #b71c1c; }
        .phase-rejected { background: #e0e0e0; color: #424242; } .phase-proposed { background: #fff3c4; color: #7a5d00; }
        .phase-approved, .phase-committed { background: #cfe3fa; color: #0d47a1; }
        .error { color: #b71c1c; } .ok { color: #1b5e20; font-weight: 600; } .muted { color: var(--muted); }
        .inline { display: inline; }
        form { margin: .6rem 0; } label { display: block; margin: .4rem 0; }
        input[type=text], input:not([type]), input[type=password], textarea { width: 100%; max-width: 640px; padding: .35rem; font: inherit; border: 1px solid #b8c0c8; border-radius: .25rem; }
        button { padding: .35rem .9rem; font: inherit; border-radius: .3rem; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
        #reject { background: #b71c1c; border-color: #b71c1c; }
        #decide { background: #fff; border: 2px solid #fca311; padding: .4rem 1rem; border-radius: .4rem; }
        fieldset { border: 1px solid var(--line); background: #fff; margin: .6rem 0; }
        progress { width: 320px; height: 1rem; }
        .chart { background: #fff; border: 1px solid var(--line); max-width: 100%; height: auto; }
        .value { font-size: 1.1rem; font-weight: 600; }
        """

    static let js = """
        "use strict";
        (function () {
          var body = document.body;
          var live = body.getAttribute("data-live");
          if (live === "jobs" && window.EventSource) {
            var jobs = new EventSource("/events/jobs?since=" + encodeURIComponent(body.getAttribute("data-version")));
            jobs.addEventListener("change", function () { jobs.close(); location.reload(); });
          } else if (live === "job" && window.EventSource) {
            var id = body.getAttribute("data-job");
            var shown = body.getAttribute("data-phase");
            var es = new EventSource("/events/job/" + encodeURIComponent(id) + "?phase=" + encodeURIComponent(shown));
            es.addEventListener("status", function (ev) {
              var s = JSON.parse(ev.data);
              var phase = document.getElementById("phase");
              if (phase) { phase.textContent = s.phase; phase.className = "phase phase-" + s.phase; }
              var bar = document.getElementById("progress");
              if (bar && s.progress) { bar.value = parseInt(s.progress, 10); }
              var step = document.getElementById("step");
              if (step && s.step) { step.textContent = s.step; }
              if (s.reload) { es.close(); location.reload(); }
            });
            es.addEventListener("gone", function () { es.close(); });
          }
          // A file chosen for the audit is read here and sent as the form's text.
          var inputs = document.querySelectorAll("input[type=file][data-target]");
          Array.prototype.forEach.call(inputs, function (input) {
            input.addEventListener("change", function () {
              var f = input.files && input.files[0];
              if (!f) { return; }
              f.text().then(function (t) { document.getElementById(input.getAttribute("data-target")).value = t; });
            });
          });
        })();
        """
}
