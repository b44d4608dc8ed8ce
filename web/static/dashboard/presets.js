/* The presets card of a form (the presets_card macro): its values saved under a name, one
   kind of work per form (``kind``: run, portfolio — /api/strategies?kind=). Used by the run
   form (form.js) and the portfolio form (portfolio_form.js): ``Presets.manage({url, kind,
   collect, apply})`` wires the card's controls; ``collect()`` gives the form's values as the
   payload, ``apply(payload)`` fills the form from one and returns what it could not use
   (messages). Returns ``{refresh}``: read the list again. Uses BT (common.js). */
"use strict";

const Presets = (() => {
  function manage({ url, kind, collect, apply }) {
    /* Save the form under a name (POST; a name the viewer has already asks "Overwrite" and then
       PUTs over it), Update the selected preset with the form (PUT), Load, Delete. The viewer
       (``preset-viewer``: token name, null in AUTH_MODE=none; ``manages_all``: an admin, or no
       auth) decides as web.ownership.may_manage does which presets are read-only: another
       user's shared preset is listed "— by alice, read-only" and cannot be updated or deleted.
       Changes click twice to confirm (no dialog); the server's errors show under the controls. */
    const viewer = BT.readJSON("preset-viewer") || { name: null, manages_all: true };
    const {
      presetSelect, presetName, presetError, presetStatus, loadedName, saveButton, updateButton,
      deleteButton, sharedBox /* AUTH_MODE=token only */, readOnlyBadge,
    } = BT.byIds({
      presetSelect: "preset-select", presetName: "preset-name", presetError: "preset-error",
      presetStatus: "preset-status", loadedName: "preset-loaded", saveButton: "preset-save",
      updateButton: "preset-update", deleteButton: "preset-delete", sharedBox: "preset-shared",
      readOnlyBadge: "preset-read-only"
    });
    const CONFIRM_MS = 8000;
    let presets = new Map();
    let loadedId = null;
    let overwrite = null; // the viewer's preset a Save is about to replace (after a 409)

    const mayManage = (preset) => viewer.manages_all || (viewer.name !== null && preset.created_by === viewer.name);
    const ownsName = (preset, name) => preset.name === name && (preset.created_by || "") === (viewer.name || "");
    const storedName = (text) => text.trim().normalize("NFC"); // as the server stores it
    const presetUrl = (preset) => `${url}/${encodeURIComponent(preset.id)}`;

    function presetLabel(preset) {
      if (viewer.name === null) return preset.name; // no owners without auth
      const notes = [];
      if (preset.created_by !== viewer.name) notes.push(`by ${preset.created_by || "an admin"}`);
      if (!mayManage(preset)) notes.push("read-only");
      else if (preset.shared) notes.push("shared");
      return notes.length ? `${preset.name} — ${notes.join(", ")}` : preset.name;
    }

    /* A button that asks for a second click: ``arm(key)`` relabels it for CONFIRM_MS;
       ``armed(key)`` says whether the next click confirms ``key``. */
    function confirmer(button, label) {
      const idle = button.textContent;
      let key = null;
      let timer = null;
      function disarm() {
        clearTimeout(timer);
        key = null;
        button.textContent = idle;
        button.classList.remove("active");
      }
      function arm(next) {
        disarm();
        key = next;
        button.textContent = label;
        button.classList.add("active"); // filled: the next click changes what is stored
        timer = setTimeout(disarm, CONFIRM_MS);
      }
      return { arm, disarm, armed: (candidate) => key !== null && key === candidate };
    }
    const saveConfirm = confirmer(saveButton, "Overwrite");
    const updateConfirm = confirmer(updateButton, "Confirm update");
    const deleteConfirm = confirmer(deleteButton, "Confirm");

    function presetMessage(text, isError) {
      presetName.classList.toggle("is-invalid", Boolean(isError));
      presetError.textContent = isError ? text : "";
      presetStatus.textContent = isError ? "" : text;
    }

    /* An API answer that is not a success, in the server's words (a 400 with its field). */
    function presetFailure(answer) {
      const body = (answer && answer.body) || {};
      if (!answer) presetMessage("the server cannot be reached", true);
      else if (answer.status === 400 && body.error) presetMessage(BT.fieldMessage(body.field, body.error), true);
      else presetMessage(body.error || `HTTP ${answer.status}`, true);
    }

    const selected = () => presets.get(presetSelect.value);
    const manageTitles = [updateButton, deleteButton].map((button) => [button, button.title]);

    function syncSelection() {
      const preset = selected();
      const manageable = Boolean(preset) && mayManage(preset);
      const readOnly = preset && !manageable ? `shared by ${preset.created_by || "an admin"} · read-only` : "";
      for (const [button, title] of manageTitles) {
        button.disabled = !manageable;
        button.title = readOnly || title;
      }
      readOnlyBadge.textContent = readOnly;
      readOnlyBadge.classList.toggle("d-none", !readOnly);
      updateConfirm.disarm();
      deleteConfirm.disarm();
      if (sharedBox && manageable) sharedBox.checked = Boolean(preset.shared);
    }

    /* Read the list again and select ``selectId`` (default: what is selected); whether the
       list could be read (if not, its error is the message). */
    async function refreshPresets(selectId) {
      const keep = selectId === undefined ? presetSelect.value : String(selectId);
      const answer = await BT.fetchJSON(`${url}?kind=${encodeURIComponent(kind)}`).catch(() => null);
      if (!answer || !answer.ok) {
        presetMessage((answer && answer.body && answer.body.error) || "presets unavailable", true);
        return false;
      }
      presets = new Map(answer.body.map((p) => [String(p.id), p]));
      presetSelect.replaceChildren(...answer.body.map((p) => BT.el("option", { value: p.id }, presetLabel(p))));
      if (!answer.body.length) presetSelect.append(BT.el("option", { value: "" }, "no presets yet"));
      if (presets.has(keep)) presetSelect.value = keep;
      syncSelection();
      return true;
    }

    function presetBody(name) {
      const json = { name, kind, payload: collect() };
      if (sharedBox) json.shared = sharedBox.checked;
      return json;
    }

    /* PUT the form over ``preset`` under ``name``; whether the server took it. */
    async function putPreset(preset, name) {
      const json = presetBody(name);
      const answer = await BT.fetchJSON(presetUrl(preset), { method: "PUT", json }).catch(() => null);
      if (!answer || !answer.ok) {
        presetFailure(answer);
        if (answer && answer.status === 404) await refreshPresets();
        return false;
      }
      if (loadedId === answer.body.id) loadedName.textContent = answer.body.name;
      // the list first, then the message: a selection made once "updated" shows is never
      // undone by the list arriving after it
      if (await refreshPresets(answer.body.id)) presetMessage(`updated "${answer.body.name}"`, false);
      return true;
    }

    saveButton.addEventListener("click", async () => {
      if (overwrite && saveConfirm.armed(overwrite.id)) {
        const target = overwrite;
        saveConfirm.disarm();
        overwrite = null;
        if (await putPreset(target, presetName.value)) presetName.value = "";
        return;
      }
      const name = presetName.value; // the server strips it and says what is wrong with it
      const answer = await BT.fetchJSON(url, { method: "POST", json: presetBody(name) }).catch(() => null);
      if (answer && answer.status === 201) {
        presetName.value = "";
        if (await refreshPresets(answer.body.id)) presetMessage(`saved "${answer.body.name}"`, false);
        return;
      }
      presetFailure(answer);
      if (answer && answer.status === 409) {
        await refreshPresets();
        const mine = [...presets.values()].find((p) => ownsName(p, storedName(name)));
        if (!mine) return;
        overwrite = mine;
        saveConfirm.arm(mine.id);
        presetMessage(`${answer.body.error}: click Overwrite to replace it with this form`, true);
      }
    });
    presetName.addEventListener("input", () => {
      overwrite = null;
      saveConfirm.disarm();
    });

    updateButton.addEventListener("click", async () => {
      const preset = selected();
      if (!preset || !mayManage(preset)) return;
      if (preset.id !== loadedId && !updateConfirm.armed(preset.id)) {
        updateConfirm.arm(preset.id); // not the preset the form was loaded from: confirm first
        return;
      }
      updateConfirm.disarm();
      await putPreset(preset, preset.name);
    });

    presetSelect.addEventListener("change", syncSelection);

    document.getElementById("preset-load").addEventListener("click", () => {
      const preset = selected();
      if (!preset) return;
      const problems = apply(preset.payload) || [];
      loadedId = preset.id;
      loadedName.textContent = preset.name;
      updateConfirm.disarm();
      if (problems.length) presetMessage(`loaded "${preset.name}", but ${problems.join("; ")}`, true);
      else presetMessage(`loaded "${preset.name}"`, false);
    });

    deleteButton.addEventListener("click", async () => {
      const preset = selected();
      if (!preset || !mayManage(preset)) return;
      if (!deleteConfirm.armed(preset.id)) {
        deleteConfirm.arm(preset.id);
        return;
      }
      deleteConfirm.disarm();
      const answer = await BT.fetchJSON(presetUrl(preset), { method: "DELETE" }).catch(() => null);
      if (answer && answer.status === 204) presetMessage(`deleted "${preset.name}"`, false);
      else presetFailure(answer);
      if (loadedId === preset.id) loadedId = null;
      await refreshPresets();
    });

    return { refresh: refreshPresets };
  }

  return { manage };
})();
