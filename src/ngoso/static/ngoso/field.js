/* Ngõ Số field app: works without signal. Households, residents, the skill catalogue and the lessons are
   kept in IndexedDB; visits recorded offline wait in a queue and are sent when the phone is back online.
   Protocol: docs/sync.md. Plain JavaScript, no build step. */
"use strict";
(function () {
  // the page's words in its language (sync/field_messages.py, embedded as JSON: works offline with the page)
  const M = JSON.parse((document.getElementById("field-messages") || {}).textContent || "{}");
  const LANG = document.documentElement.lang || "vi";
  const t = (key, values) => (M[key] || key).replace(/\{(\w+)\}/g, (m, k) => (values && k in values ? values[k] : m));
  const named = (x, field) => (LANG.startsWith("en") && x[field + "_en"]) || x[field + "_vi"];
  // the web form's words; the pull sends them (``day.levels``), these stand in before the first pull
  let LEVELS = [["0", t("level_0")], ["1", t("level_1")], ["2", t("level_2")]];
  const PAGE = 250, BATCH = 500;
  let db, state = {households: [], catalogue: null, lessons: null, sending: false};

  // --- IndexedDB --------------------------------------------------------------------------------------
  function open() {
    return new Promise((ok, fail) => {
      const req = indexedDB.open("ngoso-field-" + (window.NGOSO.user || "x"), 1);
      req.onupgradeneeded = () => {
        const d = req.result;
        d.createObjectStore("households", {keyPath: "code"});
        d.createObjectStore("queue", {keyPath: "uuid"});
        d.createObjectStore("meta");
      };
      req.onsuccess = () => ok(req.result);
      req.onerror = () => fail(req.error);
    });
  }
  function tx(store, mode, fn) {
    return new Promise((ok, fail) => {
      const t = db.transaction(store, mode), s = t.objectStore(store);
      const result = fn(s);
      t.oncomplete = () => ok(result instanceof IDBRequest ? result.result : result);
      t.onerror = () => fail(t.error);
    });
  }
  const all = (store) => tx(store, "readonly", (s) => s.getAll());
  const getMeta = (key) => tx("meta", "readonly", (s) => s.get(key));
  const setMeta = (key, value) => tx("meta", "readwrite", (s) => s.put(value, key));

  function uuid4() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }
  const today = () => new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 10);
  const addDays = (iso, n) => { const d = new Date(iso + "T00:00:00"); d.setDate(d.getDate() + n);
    return new Date(d - d.getTimezoneOffset() * 60000).toISOString().slice(0, 10); };
  const el = (tag, attrs = {}, ...kids) => { const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) k === "text" ? (e.textContent = v) : e.setAttribute(k, v);
    kids.forEach((k) => e.append(k)); return e; };

  // --- server --------------------------------------------------------------------------------------------
  async function token() {
    let t = await getMeta("token");
    if (t) return t;
    const r = await fetch("/api/v1/sync/devices", {method: "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "X-CSRFToken": window.NGOSO.csrf},
      body: JSON.stringify({name: navigator.userAgent.slice(0, 70)})});
    if (!r.ok) throw new Error("device " + r.status);
    t = (await r.json()).token;
    await setMeta("token", t);
    return t;
  }
  async function api(path, opts = {}) {
    const t = await token();
    const r = await fetch(path, {...opts, headers: {...(opts.headers || {}), Authorization: "Bearer " + t}});
    if (r.status === 401) { await setMeta("token", null); throw new Error("revoked"); }
    return r;
  }

  async function pull() {
    let cursor = (await getMeta("cursor")) || "";
    const version = await getMeta("catalogue_version"), lessonsVersion = await getMeta("lessons_version");
    for (;;) {
      const q = new URLSearchParams({cursor, limit: PAGE, catalogue_version: version || "",
        lessons_version: lessonsVersion || ""});
      const r = await api("/api/v1/sync/pull?" + q);
      if (!r.ok) throw new Error("pull " + r.status);
      const page = await r.json();
      await tx("households", "readwrite", (s) => page.households.forEach((h) => s.put(h)));
      cursor = page.cursor;
      await setMeta("cursor", cursor);  // resumable: an interrupted pull continues from here
      if (page.complete) {
        if (page.registration) await setMeta("registration", page.registration);
        if (page.catalogue) { await setMeta("catalogue", page.catalogue); await setMeta("catalogue_version", page.catalogue.version); }
        if (page.lessons) { await setMeta("lessons", page.lessons); await setMeta("lessons_version", page.lessons.version); }
        await tx("households", "readwrite", (s) => (page.removed || []).forEach((c) => s.delete(c)));
        if (page.held) {  // the phone keeps only the households the member answers for (docs/sync.md)
          const local = new Set((await all("queue")).filter((r) => r.type === "new_household").map((r) => r.code));
          const held = new Set([...page.held, ...local]), have = (await all("households")).map((h) => h.code);
          await tx("households", "readwrite", (s) => have.filter((c) => !held.has(c)).forEach((c) => s.delete(c)));
          // one it should hold but lacks (a member joined the leader's team): the next round is a full one
          if (page.held.some((c) => !have.includes(c))) await setMeta("cursor", "");
        }
        await setMeta("assigned", page.assigned || []);
        if ("day" in page) await setMeta("day", page.day);  // the web's today list: same order, same words
        break;
      }
    }
    await setMeta("last_sync", new Date().toISOString());
  }

  async function send() {
    if (state.sending) return;
    state.sending = true;
    try {
      const queued = (await all("queue")).filter((r) => !r._rejected).sort((a, b) => (a._order || 0) - (b._order || 0));
      for (let i = 0; i < queued.length; i += BATCH) {
        const batch = queued.slice(i, i + BATCH).map(({_rejected, _error, _order, code, ...r}) => r);
        const r = await api("/api/v1/sync/push", {method: "POST", headers: {"Content-Type": "application/json"},
          body: JSON.stringify({sent_at: new Date().toISOString(), records: batch})});
        if (!r.ok) throw new Error("push " + r.status);
        const res = await r.json();
        await tx("queue", "readwrite", (s) => res.results.forEach((x) => {
          if (x.status === "created" || x.status === "duplicate") s.delete(x.uuid);
          else if (x.uuid) { const rec = batch.find((b) => b.uuid === x.uuid);
            if (rec) s.put({...rec, _rejected: true, _error: x.error}); }
        }));
        if (res.warning) flash(res.warning);
      }
      await pull();
    } finally { state.sending = false; await status(); }
  }
  async function sync() {
    if (!navigator.onLine) { await status(); return; }
    try { await send(); } catch (e) { console.warn(e); }
    await render();
  }

  // --- screens -------------------------------------------------------------------------------------------
  function flash(text) { const p = el("p", {class: "msg", role: "alert", text}); document.getElementById("main").prepend(p); }
  async function status() {
    const q = await all("queue");
    const waitingAll = q.filter((r) => !r._rejected), rejected = q.length - waitingAll.length;
    const waiting = waitingAll.filter((r) => r.type === "visit").length, other = waitingAll.length - waiting;
    document.getElementById("queue-count").textContent = t("queue", {n: waiting}) +
      (other ? " · " + t("other_pending", {n: other}) : "") + (rejected ? " · " + t("rejected_n", {n: rejected}) : "");
    const last = await getMeta("last_sync");
    document.getElementById("last-sync").textContent = last ? t("synced_at", {when: new Date(last).toLocaleString(LANG === "en" ? "en-GB" : "vi-VN")}) : t("never_synced");
    document.getElementById("net").textContent = navigator.onLine ? t("online") : t("offline");
    document.body.classList.toggle("offline", !navigator.onLine);
  }

  async function render() {
    const main = document.getElementById("main");
    state.households = await all("households");
    state.catalogue = await getMeta("catalogue");
    state.lessons = await getMeta("lessons");
    const assigned = new Set((await getMeta("assigned")) || []);
    const d0 = today();
    const day = await getMeta("day");
    if (day && day.levels) LEVELS = day.levels.map(([v, vi, en]) => [v, (LANG.startsWith("en") && en) || vi]);
    let mine, others = [];
    if (day && day.date === d0) {
      // the server's day (visits.services.day_stops), exactly as the web's "Today" page lists it
      const byCode = new Map(state.households.map((h) => [h.code, h]));
      mine = day.stops.filter((s) => byCode.has(s.code))
        .map((s) => Object.assign({}, byCode.get(s.code), {reasons_vi: s.why_vi, reasons_en: s.why_en, _due: s.due}));
      const listed = new Set(mine.map((h) => h.code));
      others = state.households.filter((h) => assigned.has(h.code) && !listed.has(h.code));
    } else {
      // no pull today (offline since yesterday): the same rule of thumb, due first then need
      mine = state.households.filter((h) => assigned.has(h.code))
        .sort((a, b) => ((b.next_visit_on && b.next_visit_on <= d0) - (a.next_visit_on && a.next_visit_on <= d0))
          || ((b.priority || 0) - (a.priority || 0)) || a.code.localeCompare(b.code));
    }
    main.replaceChildren(el("h1", {text: t("today")}));
    if (!(day && day.date === d0) && mine.length)
      main.append(el("p", {class: "sub", id: "app-stale", text: t("stale_order")}));
    const addHh = el("button", {type: "button", class: "button", id: "app-new-household", text: t("add_household")});
    addHh.addEventListener("click", () => householdForm());
    main.append(addHh);
    if (state.lessons) { const b = el("button", {type: "button", class: "link", id: "app-library",
        text: t("library_button", {n: new Set(state.lessons.lessons.map((x) => x.skill)).size})});
      b.addEventListener("click", () => library(render)); main.append(b); }
    const card = (h) => {
      const a = el("a", {href: "#" + h.code, class: "stop"}, el("strong", {text: headName(h)}),
        el("span", {text: `${h.village_name} · ${streetAddress(h) || h.code}`}),
        el("span", {class: "why", text: named(h, "reasons") || ""}));
      a.addEventListener("click", (e) => { e.preventDefault(); visitForm(h); });
      const due = "_due" in h ? h._due : h.next_visit_on && h.next_visit_on <= d0;
      return el("li", due ? {class: "due", "data-code": h.code} : {"data-code": h.code}, a);
    };
    const list = el("ol", {class: "cards day", id: "app-list"});
    for (const h of mine) list.append(card(h));
    if (!mine.length) list.append(el("li", {}, el("span", {text: t("none_assigned")})));
    main.append(list);
    if (others.length) {
      const ol = el("ol", {class: "cards", id: "app-others"});
      others.forEach((h) => ol.append(card(h)));
      main.append(el("h2", {text: t("other_mine", {n: others.length})}), ol);
    }
    // a team leader's phone also holds the team's households, to stand in for a member
    const team = state.households.filter((h) => !assigned.has(h.code))
      .sort((a, b) => ((b.next_visit_on && b.next_visit_on <= d0) - (a.next_visit_on && a.next_visit_on <= d0)) || a.code.localeCompare(b.code));
    if (team.length) {
      const tl = el("ol", {class: "cards", id: "app-team"});
      team.forEach((h) => tl.append(card(h)));
      main.append(el("h2", {text: t("team_households", {n: team.length})}), tl);
    }
    const rejected = (await all("queue")).filter((r) => r._rejected);
    for (const r of rejected) main.append(el("p", {class: "msg error", text: r.type === "visit" ?
      t("visit_refused", {code: r.household, error: r._error}) : r.type === "new_household" ?
      t("new_household_refused", {code: r.code, error: r._error}) : r.type === "new_resident" ?
      t("new_resident_refused", {name: r.full_name, error: r._error}) : t("record_refused", {error: r._error})}));
    await status();
  }

  // as the web writes them (Household.street_address and the head's name)
  function streetAddress(h) {
    return [h.house_number ? t("house_no", {n: h.house_number}) : "", h.alley ? t("alley", {a: h.alley}) : "", h.address || ""]
      .filter(Boolean).join(", ");
  }
  function headName(h) {
    return (h.residents.find((r) => r.relation === "head") || h.residents[0] || {}).full_name || h.code;
  }

  function nextSkills(resident) {
    const cat = state.catalogue ? state.catalogue.skills : [];
    const lv = resident.levels || {};
    // the server's rule (skills.rules.offered): not yet alone, prerequisites done alone, old enough
    const age = resident.birth_year ? new Date().getFullYear() - resident.birth_year : null;
    return cat.filter((s) => (lv[s.code] || 0) < 2 && s.prerequisites.every((p) => lv[p] === 2)
        && (age === null || age >= (s.min_age || 0)))
      .sort((a, b) => (lv[b.code] || 0) - (lv[a.code] || 0)).slice(0, 3);
  }

  function visitForm(h) {
    const main = document.getElementById("main");
    const form = document.getElementById("t-visit").content.firstElementChild.cloneNode(true);
    form.querySelector(".hh-title").textContent = `${headName(h)} · ${streetAddress(h) || h.village_name} (${h.code})`;
    const people = form.querySelector(".people");
    h.residents.forEach((r, i) => {
      const fs = el("fieldset", {class: "person"});
      const cb = el("input", {type: "checkbox", name: "present", value: r.uuid});
      if (r.relation === "head") cb.checked = true;
      fs.append(el("legend", {}, el("label", {class: "check"}, cb, " " + r.full_name), el("small", {text: ` ${r.birth_year}`})));
      for (const s of nextSkills(r)) {
        const seg = el("div", {class: "seg", role: "radiogroup", "aria-label": named(s, "name")});
        for (const [v, label] of LEVELS) seg.append(el("label", {}, el("input", {type: "radio", name: `lvl|${r.uuid}|${s.code}`, value: v}), el("span", {text: label})));
        const sname = el("span", {class: "sname", text: named(s, "name") + " "});
        if (lessonFor(s.code, r)) { const b = el("button", {type: "button", class: "link lessonlink", text: t("lesson")});
          b.addEventListener("click", () => showLesson(lessonFor(s.code, r), () => visitForm(h))); sname.append(b); }
        fs.append(el("div", {class: "skill"}, sname, seg));
      }
      people.append(fs);
    });
    const addP = el("button", {type: "button", class: "button", id: "app-new-resident", text: t("add_resident")});
    addP.addEventListener("click", () => residentForm(h));
    const moveIn = el("button", {type: "button", class: "button", id: "app-move-in", text: t("move_in")});
    moveIn.addEventListener("click", () => moveInForm(h));
    const editH = el("button", {type: "button", class: "button", id: "app-edit-household", text: t("edit_household")});
    editH.addEventListener("click", () => editHouseholdForm(h));
    people.append(addP, moveIn, editH);
    h.residents.forEach((r, i) => {
      const sel = el("select", {"aria-label": t("change_of", {name: r.full_name}), class: "event"},
        el("option", {value: "", text: t("no_change", {name: r.full_name})}), el("option", {value: "moved_away", text: t("moved_away")}),
        el("option", {value: "died", text: t("died")}), el("option", {value: "move", text: t("move_household")}),
        el("option", {value: "edit", text: t("edit_person")}));
      sel.addEventListener("change", async () => {
        if (!sel.value) return;
        if (sel.value === "move") { moveForm(h, r); return; }
        if (sel.value === "edit") { editResidentForm(h, r); return; }
        const rec = {type: "life_event", uuid: uuid4(), resident: r.uuid, event: sel.value, on: today(), _order: Date.now()};
        if (sel.value === "moved_away") rec.moved_to = (window.prompt(t("moved_where")) || "").slice(0, 200);
        await tx("queue", "readwrite", (s) => s.put(rec));
        h.residents = h.residents.filter((y) => y.uuid !== r.uuid);
        if (r.relation === "head" && h.residents.length && !h.residents.some((y) => y.relation === "head"))
          [...h.residents].sort((a, b) => a.birth_year - b.birth_year)[0].relation = "head";
        await tx("households", "readwrite", (s) => s.put(h));
        flash(t("recorded", {name: r.full_name, event: sel.value === "died" ? t("died") : t("moved_away")}));
        sync(); visitForm(h);
      });
      people.append(sel);
    });
    form.visited_on.value = today();
    form.visited_on.max = today();
    form.next_visit_on.value = addDays(today(), 14);
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const fd = new FormData(form), results = [];
      for (const [k, v] of fd.entries()) if (k.startsWith("lvl|")) { const [, res, skill] = k.split("|");
        results.push({resident: res, skill, level: Number(v)}); }
      const rec = {type: "visit", _order: Date.now(), uuid: uuid4(), household: h.code, visited_on: fd.get("visited_on"),
        next_visit_on: fd.get("next_visit_on") || null, note: fd.get("note") || "", present: fd.getAll("present"),
        results, recorded_at: new Date().toISOString()};
      await tx("queue", "readwrite", (s) => s.put(rec));
      // show the new levels at once, before the server confirms them
      for (const x of results) { const r = h.residents.find((y) => y.uuid === x.resident);
        r.levels = {...(r.levels || {}), [x.skill]: Math.max(x.level, (r.levels || {})[x.skill] || 0)}; }
      h.last_visit_on = rec.visited_on; h.next_visit_on = rec.next_visit_on;
      await tx("households", "readwrite", (s) => s.put(h));
      await render();
      flash(navigator.onLine ? t("saved") : t("saved_offline"));
      sync();
    });
    form.querySelector("#app-back").addEventListener("click", render);
    main.replaceChildren(form);
    window.scrollTo(0, 0);
  }

  // --- households and residents found at the door (docs/sync.md "Registration") ------------------------------
  // The code of a household registered on the phone is made from its UUID, as the server makes it
  // (people.registration.household_code), so a visit can name it before any sync.
  const householdCode = (u) => "M" + u.replace(/-/g, "").slice(0, 12).toUpperCase();
  const fold = (t) => (t || "").replace(/đ/g, "d").replace(/Đ/g, "D").normalize("NFD").replace(/[\u0300-\u036f]/g, "")
    .toLowerCase().replace(/\s+/g, " ").trim();
  function dl(a, b) {  // Damerau–Levenshtein (optimal string alignment) distance
    const d = Array.from({length: a.length + 1}, (_, i) => [i, ...Array(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0][j] = j;
    for (let i = 1; i <= a.length; i++) for (let j = 1; j <= b.length; j++) {
      const c = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + c);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
    return d[a.length][b.length];
  }
  const sim = (a, b) => (!a || !b) ? 0 : 1 - dl(a, b) / Math.max(a.length, b.length);
  const nameSim = (a, b) => Math.max(sim(a, b), sim(a.split(" ").sort().join(" "), b.split(" ").sort().join(" ")));
  function yearSim(a, b) {
    if (!a || !b) return 0; if (a === b) return 1; const d = Math.abs(a - b);
    if (d === 1) return 0.7;
    const x = String(a), y = String(b);
    if ([...x].sort().join("") === [...y].sort().join("") && [...x].filter((c, i) => c !== y[i]).length === 2) return 0.8;
    return d === 2 ? 0.4 : 0;
  }
  // the same rule as the server's people.duplicates.score_residents (without phones, which the phone does not
  // hold), warning from its WARN_THRESHOLD (0.85); tests/people/test_registration.py checks they agree
  function scorePair(a, b) {
    if (a.sex && b.sex && a.sex !== b.sex) return 0;
    const place = a.household === b.household ? 0.1 : (a.village === b.village ? 0.03 : -0.05);
    return Math.max(0, Math.min(1, 0.6 * nameSim(fold(a.full_name), fold(b.full_name)) + 0.3 * yearSim(a.birth_year, b.birth_year) + place));
  }
  // end of the shared rule
  function closeMatches(p) {
    const out = [];
    for (const h of state.households) for (const r of h.residents) {
      const score = scorePair({...r, household: h.code, village: h.village}, p);
      if (score >= 0.85) out.push(`${r.full_name}, ${r.birth_year}` + (h.alley ? ", " + t("alley", {a: h.alley}) : "") + (h.house_number ? ", " + t("house_no", {n: h.house_number}) : ""));
    }
    return out;
  }

  // every word from the catalogue (sync/field_messages.py), in the page's language
  const ACCESS = ["has_smartphone", "has_feature_phone", "has_tv", "has_radio", "has_computer", "has_home_internet",
    "has_mobile_data", "hears_loudspeaker"].map((k) => [k, t("acc_" + k)]);
  const RELATIONS = ["head", "spouse", "child", "grandchild", "parent", "child_in_law", "sibling", "other"]
    .map((v) => [v, t("rel_" + v)]);
  const sent = () => (navigator.onLine ? "" : t("will_send"));
  // an ethnic group: [code, Vietnamese name, English name] (older pulls: no English name)
  const ethName = (e) => (LANG === "en" && e[2]) ? e[2] : e[1];
  const field = (label, input) => el("label", {}, label, input);

  async function householdForm() {
    const main = document.getElementById("main"), reg = (await getMeta("registration")) || {villages: []};
    const form = el("form", {class: "visit", id: "app-household-form"});
    const back = el("button", {type: "button", class: "link", text: t("back_to_list")});
    back.addEventListener("click", render);
    const village = el("select", {name: "village", required: ""});
    for (const [code, name] of reg.villages) village.append(el("option", {value: code, text: name}));
    const gps = el("input", {type: "checkbox", name: "gps"});
    const access = el("fieldset", {}, el("legend", {text: t("access_legend")}),
      ...ACCESS.map(([k, label]) => el("label", {class: "check"}, el("input", {type: "checkbox", name: k}), " " + label)));
    form.append(back, el("h1", {text: t("new_household")}), field(t("village_field"), village),
      el("div", {class: "two"}, field(t("alley_field"), el("input", {name: "alley", maxlength: "80"})),
        field(t("house_number_field"), el("input", {name: "house_number", maxlength: "30"}))),
      field(t("address_field"), el("input", {name: "address", maxlength: "200"})),
      el("label", {class: "check"}, gps, " " + t("gps")), access,
      el("button", {class: "primary big sticky", id: "app-save-household", text: t("save_household")}));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const u = uuid4(), code = householdCode(u), fd = new FormData(form);
      const rec = {type: "new_household", uuid: u, code, _order: Date.now(), village: fd.get("village"),
        alley: fd.get("alley") || "", house_number: fd.get("house_number") || "", address: fd.get("address") || "",
        access: Object.fromEntries(ACCESS.map(([k]) => [k, fd.get(k) === "on"]))};
      if (gps.checked && navigator.geolocation) {
        try { const pos = await new Promise((ok, fail) => navigator.geolocation.getCurrentPosition(ok, fail, {timeout: 8000}));
          rec.latitude = pos.coords.latitude; rec.longitude = pos.coords.longitude; } catch (err) { flash(t("no_position")); }
      }
      await tx("queue", "readwrite", (s) => s.put(rec));
      const vname = (reg.villages.find((v) => v[0] === rec.village) || [])[1] || rec.village;
      const h = {code, uuid: u, village: rec.village, village_name: vname, alley: rec.alley, house_number: rec.house_number,
        address: rec.address, assigned_to_me: true, residents: [], local: true};
      await tx("households", "readwrite", (s) => s.put(h));
      await setMeta("assigned", [...((await getMeta("assigned")) || []), code]);
      state.households = await all("households");
      residentForm(h);
      flash(t("household_saved", {code}) + sent() + t("add_people_next"));
      sync();
    });
    main.replaceChildren(form);
    window.scrollTo(0, 0);
  }

  // a person moves to another household the phone holds: a household split (register the new one first),
  // two joined, or someone moving in; the server keeps their skill history with them
  function moveForm(h, r) {
    const main = document.getElementById("main"), form = el("form", {class: "visit", id: "app-move-form"});
    const back = el("button", {type: "button", class: "link", text: t("back_to_household")});
    back.addEventListener("click", () => visitForm(h));
    const target = el("select", {name: "household", required: ""});
    for (const x of state.households.filter((x) => x.code !== h.code))
      target.append(el("option", {value: x.code, text: `${x.code} · ${x.village_name}${x.alley ? ", " + t("alley", {a: x.alley}) : ""}${x.house_number ? ", " + t("house_no", {n: x.house_number}) : ""}`}));
    // their relation to the head of the household they join: head of one that has none (a household split off),
    // otherwise the member says (a spouse, a parent…); the server keeps one head per household
    const rel = el("select", {name: "relation"});
    for (const [v, label] of RELATIONS) rel.append(el("option", {value: v, text: label}));
    const suggest = () => { const to = state.households.find((x) => x.code === target.value);
      rel.value = to && !to.residents.some((y) => y.relation === "head") ? "head" : "other"; };  // a relation to the old
    // head says nothing of the new one: the member chooses it
    target.addEventListener("change", suggest); suggest();
    form.append(back, el("h1", {text: t("move_title", {name: r.full_name})}),
      el("p", {text: t("move_hint", {button: t("add_household")})}),
      field(t("move_to"), target), field(t("relation"), rel),
      el("button", {class: "primary big", id: "app-save-move", text: t("move_button")}));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const to = state.households.find((x) => x.code === target.value);
      if (!to) return;
      const hasHead = to.residents.some((y) => y.relation === "head");
      const relation = rel.value === "head" && hasHead ? "other" : rel.value;
      await tx("queue", "readwrite", (s) => s.put({type: "life_event", uuid: uuid4(), resident: r.uuid, event: "move",
        household: to.code, relation, on: today(), _order: Date.now()}));
      h.residents = h.residents.filter((y) => y.uuid !== r.uuid);
      if (r.relation === "head" && h.residents.length) [...h.residents].sort((a, b) => a.birth_year - b.birth_year)[0].relation = "head";
      to.residents.push({...r, relation});
      await tx("households", "readwrite", (s) => { s.put(h); s.put(to); });
      state.households = await all("households");
      flash(t("moved", {name: r.full_name, code: to.code}));
      sync(); visitForm(to);
    });
    main.replaceChildren(form);
    window.scrollTo(0, 0);
  }

  // --- edits made offline (docs/sync.md "Edits"): what the phone had goes with the change ("from") and the
  // record's version at the pull ("base"); if the server's value changed meanwhile, a leader decides ------------
  async function queueEdit(rec) {
    await tx("queue", "readwrite", (s) => s.put({...rec, uuid: uuid4(), _order: Date.now()}));
  }
  function backTo(h) { const b = el("button", {type: "button", class: "link", text: t("back")});
    b.addEventListener("click", () => visitForm(h)); return b; }

  async function editResidentForm(h, r) {
    const main = document.getElementById("main"), reg = (await getMeta("registration")) || {ethnicities: [["01", "Kinh"]]};
    const form = el("form", {class: "visit", id: "app-edit-resident"});
    const eth = el("select", {name: "ethnicity"}, el("option", {value: "", text: t("no_change_short")}));
    for (const e of reg.ethnicities) eth.append(el("option", {value: e[0], text: ethName(e)}));
    const rel = el("select", {name: "relation"});
    for (const [v, label] of RELATIONS) rel.append(el("option", {value: v, text: label}));
    rel.value = r.relation || "other";
    const sex = el("select", {name: "sex"}, el("option", {value: "female", text: t("female")}), el("option", {value: "male", text: t("male")}));
    sex.value = r.sex || "female";
    const name = el("input", {name: "full_name", required: "", maxlength: "120", autocomplete: "off"});
    name.value = r.full_name;
    const year = el("input", {name: "birth_year", type: "number", inputmode: "numeric", min: "1890",
      max: String(new Date().getFullYear()), required: ""});
    year.value = r.birth_year;
    const consent = el("input", {type: "checkbox", name: "consent", id: "app-edit-consent"});
    form.append(backTo(h), el("h1", {text: t("edit_person_title", {name: r.full_name})}),
      field(t("full_name"), name), el("div", {class: "two"}, field(t("birth_year"), year), field(t("sex"), sex)),
      field(t("relation"), rel), el("label", {class: "check consent"}, consent, " " + t("consent_for_personal")),
      field(t("ethnicity"), eth), field(t("new_phone"), el("input", {name: "phone", type: "tel", maxlength: "20"})),
      el("button", {class: "primary big sticky", id: "app-save-edit", text: t("save_changes")}));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const fd = new FormData(form), changes = {};
      const held = {full_name: r.full_name, birth_year: r.birth_year, sex: r.sex, relation: r.relation};
      const now = {full_name: (fd.get("full_name") || "").trim(), birth_year: Number(fd.get("birth_year")),
        sex: fd.get("sex"), relation: fd.get("relation")};
      for (const k of Object.keys(now)) if (now[k] !== held[k]) changes[k] = {from: held[k], to: now[k]};
      // the phone does not hold the ethnic group or the phone number (decision 0007): "fp" (their fingerprint at
      // the pull) lets the server compare each by itself
      if (fd.get("ethnicity")) changes.ethnicity = {to: fd.get("ethnicity")};
      if ((fd.get("phone") || "").trim()) changes.phone = {to: fd.get("phone").trim()};
      if (!Object.keys(changes).length) { visitForm(h); return; }
      const rec = {type: "resident", resident: r.uuid, base: r.version || null, fp: r.fp || null, changes};
      if (changes.ethnicity || changes.phone) {
        if (!consent.checked) { flash(t("consent_needed")); return; }
        rec.consent = {given: true, method: "oral"};
      }
      await queueEdit(rec);
      Object.assign(r, now);
      await tx("households", "readwrite", (s) => s.put(h));
      flash(t("edit_saved", {name: now.full_name}));
      sync(); visitForm(h);
    });
    main.replaceChildren(form);
    window.scrollTo(0, 0);
  }

  function editHouseholdForm(h) {
    const main = document.getElementById("main"), form = el("form", {class: "visit", id: "app-edit-household-form"});
    const alley = el("input", {name: "alley", maxlength: "80"}), no = el("input", {name: "house_number", maxlength: "30"});
    alley.value = h.alley || ""; no.value = h.house_number || "";
    // the phone does not hold the means of access: each stays as it is unless set here
    const access = el("fieldset", {}, el("legend", {text: t("access")}), ...ACCESS.map(([k, label]) =>
      field(label, el("select", {name: k}, el("option", {value: "", text: t("no_change_short")}),
        el("option", {value: "1", text: t("yes")}), el("option", {value: "0", text: t("no")})))));
    form.append(backTo(h), el("h1", {text: t("household", {code: h.code})}),
      el("div", {class: "two"}, field(t("alley_label"), alley), field(t("house_number"), no)), access,
      el("button", {class: "primary big sticky", id: "app-save-household-edit", text: t("save_changes")}));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const fd = new FormData(form), changes = {};
      for (const k of ["alley", "house_number"]) { const v = (fd.get(k) || "").trim();
        if (v !== (h[k] || "")) changes[k] = {from: h[k] || "", to: v}; }
      for (const [k] of ACCESS) if (fd.get(k)) changes[k] = {to: fd.get(k) === "1"};
      if (!Object.keys(changes).length) { visitForm(h); return; }
      await queueEdit({type: "household", household: h.code, base: h.version || null, fp: h.fp || null, changes});
      h.alley = (fd.get("alley") || "").trim(); h.house_number = (fd.get("house_number") || "").trim();
      await tx("households", "readwrite", (s) => s.put(h));
      flash(t("edit_saved", {name: h.code}));
      sync(); visitForm(h);
    });
    main.replaceChildren(form);
    window.scrollTo(0, 0);
  }

  // someone registered in another village now lives here: the phone cannot see that village, so it asks; commune
  // staff find the person on the server and move the same record, with their skill history
  async function moveInForm(h) {
    const main = document.getElementById("main"), reg = (await getMeta("registration")) || {villages: []};
    const form = el("form", {class: "visit", id: "app-move-in-form"});
    const from = el("select", {name: "from_village"}, el("option", {value: "", text: t("other_place")}));
    for (const [code, name] of (reg.villages_around || reg.villages)) if (code !== h.village) from.append(el("option", {value: code, text: name}));
    const rel = el("select", {name: "relation"});
    for (const [v, label] of RELATIONS) rel.append(el("option", {value: v, text: label}));
    rel.value = "other";
    const sex = el("select", {name: "sex"}, el("option", {value: "", text: "—"}), el("option", {value: "female", text: t("female")}),
      el("option", {value: "male", text: t("male")}));
    form.append(backTo(h), el("h1", {text: t("move_in_title", {code: h.code})}), el("p", {text: t("move_in_help")}),
      field(t("full_name"), el("input", {name: "full_name", required: "", maxlength: "120", autocomplete: "off"})),
      el("div", {class: "two"}, field(t("birth_year"), el("input", {name: "birth_year", type: "number", inputmode: "numeric",
        min: "1890", max: String(new Date().getFullYear())})), field(t("sex"), sex)),
      field(t("from_village"), from), field(t("from_where"), el("input", {name: "from", maxlength: "200"})),
      field(t("relation"), rel), el("button", {class: "primary big sticky", id: "app-save-move-in", text: t("send_request")}));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const fd = new FormData(form);
      if (!fd.get("from_village") && !(fd.get("from") || "").trim()) { flash(t("from_needed")); return; }
      const rec = {type: "move_in", uuid: uuid4(), _order: Date.now(), household: h.code,
        full_name: (fd.get("full_name") || "").trim(), birth_year: fd.get("birth_year") ? Number(fd.get("birth_year")) : null,
        sex: fd.get("sex") || "", from_village: fd.get("from_village") || "", from: (fd.get("from") || "").trim(),
        relation: fd.get("relation") || "other", on: today()};
      await tx("queue", "readwrite", (s) => s.put(rec));
      flash(t("move_in_sent", {name: rec.full_name}));
      sync(); visitForm(h);
    });
    main.replaceChildren(form);
    window.scrollTo(0, 0);
  }

  async function residentForm(h) {
    const main = document.getElementById("main"), reg = (await getMeta("registration")) || {ethnicities: [["01", "Kinh"]]};
    const form = el("form", {class: "visit", id: "app-resident-form"});
    const back = el("button", {type: "button", class: "link", text: t("back_to_household")});
    back.addEventListener("click", () => visitForm(h));
    const eth = el("select", {name: "ethnicity"});
    for (const e of reg.ethnicities) eth.append(el("option", {value: e[0], text: ethName(e)}));
    const rel = el("select", {name: "relation"});
    for (const [v, label] of RELATIONS) rel.append(el("option", {value: v, text: label}));
    if (!h.residents.length) rel.value = "head";
    const sex = el("div", {class: "seg", role: "radiogroup", "aria-label": t("sex")},
      el("label", {}, el("input", {type: "radio", name: "sex", value: "female", required: ""}), el("span", {text: t("sex_female")})),
      el("label", {}, el("input", {type: "radio", name: "sex", value: "male"}), el("span", {text: t("sex_male")})));
    const consent = el("input", {type: "checkbox", name: "consent", required: "", id: "app-consent"});
    const warn = el("p", {class: "msg warn", id: "app-dup-warning", hidden: ""});
    form.append(back, el("h1", {text: t("new_resident", {code: h.code})}),
      el("label", {class: "check consent"}, consent, " " + t("consent")),
      field(t("full_name"), el("input", {name: "full_name", required: "", maxlength: "120", autocomplete: "off"})),
      el("fieldset", {}, el("legend", {text: t("sex")}), sex),
      el("div", {class: "two"}, field(t("birth_year"), el("input", {name: "birth_year", type: "number", inputmode: "numeric",
        min: "1890", max: String(new Date().getFullYear()), required: ""})), field(t("relation"), rel)),
      field(t("ethnicity"), eth), field(t("phone"), el("input", {name: "phone", type: "tel", maxlength: "20"})),
      warn, el("button", {class: "primary big sticky", id: "app-save-resident", text: t("save_resident")}));
    let warned = "";
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const fd = new FormData(form);
      const rec = {type: "new_resident", uuid: uuid4(), _order: Date.now(), household: h.code,
        full_name: (fd.get("full_name") || "").trim(), sex: fd.get("sex"), birth_year: Number(fd.get("birth_year")),
        ethnicity: fd.get("ethnicity") || "01", relation: fd.get("relation") || "other", phone: fd.get("phone") || "",
        consent: {given: fd.get("consent") === "on", method: "oral"}};
      if (!rec.consent.given) { flash(t("register_consent_needed")); return; }
      const near = closeMatches({...rec, village: h.village});
      const key = rec.full_name + rec.birth_year;
      if (near.length && warned !== key) {  // warn once; a second tap saves anyway
        warned = key;
        warn.textContent = t("maybe_exists", {matches: near.slice(0, 3).join("; ")});
        warn.hidden = false;
        return;
      }
      await tx("queue", "readwrite", (s) => s.put(rec));
      h.residents.push({uuid: rec.uuid, full_name: rec.full_name, birth_year: rec.birth_year, relation: rec.relation,
        sex: rec.sex, language: "vi", levels: {}});
      await tx("households", "readwrite", (s) => s.put(h));
      state.households = await all("households");
      visitForm(h);
      flash(t("resident_saved", {name: rec.full_name}) + sent());
      sync();
    });
    main.replaceChildren(form);
    window.scrollTo(0, 0);
  }

  // --- lessons, offline ------------------------------------------------------------------------------------
  // The variant follows the resident: large print for older people, their group's language when the province
  // has imported it (the server fills untranslated lines with the Vietnamese).
  function lessonFor(code, resident) {
    const L = state.lessons;
    if (!L) return null;
    const aud = resident && resident.birth_year && new Date().getFullYear() - resident.birth_year >= L.elderly_age ? "elderly" : "standard";
    // the server sends the resident's lesson language, never their ethnic group (decision 0007)
    const lang = (resident && resident.language) || "vi";
    return L.lessons.find((x) => x.skill === code && x.audience === aud && x.language === lang)
      || L.lessons.find((x) => x.skill === code && x.audience === aud && x.language === "vi");
  }

  function library(back) {
    const main = document.getElementById("main"), list = el("ul", {class: "cards"});
    const names = Object.fromEntries(((state.catalogue || {}).skills || []).map((s) => [s.code, s]));
    const items = state.lessons.lessons.filter((x) => x.language === "vi" && x.audience === "standard");
    items.sort((a, b) => ((state.catalogue.skills.findIndex((s) => s.code === a.skill)) - (state.catalogue.skills.findIndex((s) => s.code === b.skill))));
    for (const x of items) { const a = el("a", {href: "#lesson-" + x.skill, text: x.content.title});
      a.addEventListener("click", (e) => { e.preventDefault(); showLesson(x, () => library(back)); });
      list.append(el("li", {}, a, el("span", {text: names[x.skill] ? named(names[x.skill], "i_can") : ""}))); }
    const b = el("button", {type: "button", class: "link", text: t("back")});
    b.addEventListener("click", back);
    main.replaceChildren(el("h1", {text: t("library")}), b, list);
    window.scrollTo(0, 0);
  }

  function showLesson(item, back, step) {
    const c = item.content, main = document.getElementById("main"), elderly = item.audience === "elderly";
    const art = el("article", {class: "lesson " + item.audience, lang: item.language, id: "app-lesson"});
    const backBtn = el("button", {type: "button", class: "link", text: t("back")});
    backBtn.addEventListener("click", back);
    art.append(backBtn, el("h1", {text: c.title}));
    const ul = (title, xs, cls) => xs.length ? [el("h2", {text: title}), el(cls === "ol" ? "ol" : "ul", {class: cls === "ol" ? "steps" : ""}, ...xs.map((t) => el("li", {text: t})))] : [];
    const audio = (part) => {
      // a recording not made yet: the server answers 202 and the queue reads it aloud; ask again, then play
      const a = el("audio", {controls: "", preload: "none", src: `/lessons/${item.skill}/audio/${item.audience}/${part}.ogg?v=${item.audio_version}`});
      a.addEventListener("error", () => {
        if (a.dataset.asking || !navigator.onLine) return;
        a.dataset.asking = "1";
        const ask = (k) => fetch(a.src, {method: "HEAD", credentials: "same-origin", cache: "no-store"}).then((r) => {
          if (r.status === 200) { delete a.dataset.asking; a.load(); a.play(); }
          else if (r.status === 202 && k < 40) setTimeout(() => ask(k + 1), 3000);
        }).catch(() => { if (k < 40) setTimeout(() => ask(k + 1), 3000); });
        ask(0);
      });
      return a;
    };
    const n = c.steps.length;
    if (!elderly || step === undefined || step === 0) {
      art.append(audio("all"), el("h2", {text: t("purpose")}), el("p", {text: c.purpose}), ...ul(t("you_need"), c.you_need));
    }
    if (!elderly) {
      art.append(...ul(t("steps"), c.steps, "ol"), ...ul(t("mistakes"), c.mistakes), ...ul(t("safety"), c.safety));
    } else {
      step = step || 0;
      const go = (k, label, cls) => { const b = el("button", {type: "button", class: "button big " + (cls || ""), text: label});
        b.addEventListener("click", () => showLesson(item, back, k)); return b; };
      if (step === 0) art.append(go(1, t("start"), "primary"));
      else if (step <= n) art.append(el("p", {class: "count", text: t("step_of", {k: step, n})}), el("p", {class: "steptext", text: c.steps[step - 1]}),
        audio(String(step)), el("nav", {class: "stepnav"}, go(step - 1, t("step_back")), go(step + 1, step === n ? t("done") : t("next_step"), "primary")));
      else art.append(...ul(t("mistakes"), c.mistakes), ...ul(t("safety"), c.safety), go(n, t("step_back")));
    }
    main.replaceChildren(art);
    window.scrollTo(0, 0);
  }

  // --- start ---------------------------------------------------------------------------------------------
  async function start() {
    db = await open();
    if ("serviceWorker" in navigator) navigator.serviceWorker.register("/app/sw.js", {scope: "/app/"}).catch(() => {});
    document.getElementById("send-now").addEventListener("click", sync);
    window.addEventListener("online", sync);
    window.addEventListener("offline", status);
    setInterval(() => navigator.onLine && sync(), 60000);
    await render();
    await sync();
    document.body.dataset.ready = "1";
  }
  window.ngosoField = {sync, status, pull};
  start().catch((e) => { document.getElementById("main").textContent = t("error", {message: e.message}); });
})();
