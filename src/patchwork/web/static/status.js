// Status: reload the numbers every 30 seconds while the tab is visible (the original reloaded
// every 15 s). Replaces <main> only, so focus and scroll stay put.
"use strict";

(function () {
  const PERIOD = 30000;
  async function refresh() {
    if (document.hidden) return;
    try {
      const response = await fetch(location.href, { headers: { Accept: "text/html" } });
      if (!response.ok) return;
      const html = new DOMParser().parseFromString(await response.text(), "text/html");
      const fresh = html.getElementById("content");
      if (fresh) document.getElementById("content").replaceChildren(...fresh.childNodes);
    } catch (e) {
      /* offline for a moment: try again next time */
    }
  }
  setInterval(refresh, PERIOD);
})();
