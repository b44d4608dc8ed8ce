/* The run page's management controls: edit the run's labels (name, tags, notes, pinned:
   PATCH /api/runs/<id>), share it read-only with the team (the "Share with team" switch:
   PATCH {"shared"}), cancel a waiting run and delete a run (click twice to confirm; no
   dialog). A run shared with the viewer by someone else has none of them (read-only).
   Text only: no innerHTML. */
"use strict";

(() => {
  const data = BT.readJSON("run-data");
  const show = (node, on) => node && node.classList.toggle("d-none", !on);

  // ---------------------------------------------------------------- labels -------------
  const { form, view, error, editButton } = BT.byIds({
    form: "labels-form", view: "labels-view", error: "labels-error", editButton: "labels-edit"
  });
  if (!editButton) return; // shared with this viewer read-only: nothing to manage

  const sharedSwitch = document.getElementById("run-shared"); // AUTH_MODE=token only
  sharedSwitch?.addEventListener("change", async () => {
    sharedSwitch.disabled = true;
    const json = { shared: sharedSwitch.checked };
    const answer = await BT.fetchJSON(data.manage_url, { method: "PATCH", json }).catch(() => null);
    sharedSwitch.disabled = false;
    const alert = document.getElementById("run-again-error");
    if (answer && answer.ok) {
      sharedSwitch.checked = answer.body.shared;
      alert.classList.add("d-none");
      return;
    }
    sharedSwitch.checked = !sharedSwitch.checked;
    const problem = (answer && answer.body) || { error: "the server cannot be reached" };
    alert.textContent = problem.error || `HTTP ${answer.status}`;
    alert.classList.remove("d-none");
  });

  editButton.addEventListener("click", () => {
    show(form, true);
    document.getElementById("label-name").focus();
  });

  function drawLabels(labels) {
    const tags = document.getElementById("labels-tags");
    tags.replaceChildren(
      ...(labels.tags.length
        ? labels.tags.map((tag) => BT.el("span", { class: "badge bt-tag me-1" }, tag))
        : [BT.el("span", { class: "text-body-secondary" }, "none")]),
    );
    document.getElementById("labels-notes").textContent = labels.notes || "";
    let pin = document.getElementById("labels-pinned");
    if (labels.pinned && !pin) {
      pin = BT.el("span", { class: "badge text-bg-info", id: "labels-pinned" }, "pinned");
      tags.after(pin);
    } else if (!labels.pinned && pin) pin.remove();
    document.getElementById("run-name").textContent = labels.name || "";
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const body = {
      name: document.getElementById("label-name").value,
      tags: document.getElementById("label-tags").value.split(",").map((t) => t.trim()).filter(Boolean),
      notes: document.getElementById("label-notes").value,
      pinned: document.getElementById("label-pinned").checked,
    };
    const answer = await BT.fetchJSON(data.manage_url, { method: "PATCH", json: body }).catch(() => null);
    if (answer && answer.ok) {
      error.textContent = "";
      drawLabels(answer.body);
      show(form, false);
      view.dataset.saved = "1";
      return;
    }
    const problem = (answer && answer.body) || { error: "the server cannot be reached" };
    error.textContent = problem.field ? `${problem.field}: ${problem.error}` : problem.error;
  });

  // ---------------------------------------------------------------- cancel / delete ----
  const box = document.getElementById("run-again-error");
  function fail(answer) {
    const problem = (answer && answer.body) || { error: "the server cannot be reached" };
    box.textContent = problem.error || `HTTP ${answer.status}`;
    box.classList.remove("d-none");
  }

  const cancel = document.getElementById("run-cancel");
  if (cancel) {
    cancel.addEventListener("click", async () => {
      cancel.disabled = true;
      const answer = await BT.fetchJSON(data.cancel_url, { method: "POST" }).catch(() => null);
      if (answer && answer.ok) window.location.reload();
      else {
        cancel.disabled = false;
        fail(answer);
      }
    });
  }

  const remove = document.getElementById("run-delete");
  if (remove) {
    let armed = false;
    remove.addEventListener("click", async () => {
      if (!armed) {
        armed = true;
        remove.textContent = "Confirm delete";
        remove.classList.replace("btn-outline-danger", "btn-danger");
        setTimeout(() => {
          armed = false;
          remove.textContent = "Delete";
          remove.classList.replace("btn-danger", "btn-outline-danger");
        }, 4000);
        return;
      }
      remove.disabled = true;
      const answer = await BT.fetchJSON(data.manage_url, { method: "DELETE" }).catch(() => null);
      if (answer && answer.status === 204) window.location.assign(data.history_url);
      else {
        remove.disabled = false;
        fail(answer);
      }
    });
  }
})();
