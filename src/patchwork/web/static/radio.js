// Radio: when a video ends, ask /api/random_video for the next one. Without this script the
// page still plays one video, and "Skip" reloads the page for another.
"use strict";

(function () {
  const root = document.getElementById("radio");
  if (!root) return;
  const player = document.getElementById("radio-player");
  const title = document.getElementById("radio-title");
  const channel = document.getElementById("radio-channel");
  const count = document.getElementById("radio-count");
  const time = document.getElementById("radio-time");
  const freeze = document.getElementById("radio-freeze");
  const volume = document.getElementById("radio-volume");
  const picture = document.getElementById("radio-picture");
  let listened = 0;
  let current = new URL(title.href, location.href).searchParams.get("v");

  function clock(seconds) {
    const s = Math.floor(seconds || 0);
    return Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0");
  }

  async function next() {
    let video = null;
    for (let tries = 0; tries < 3; tries++) {
      const response = await fetch(root.dataset.randomUrl, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      video = await response.json();
      if (video.video_id !== current) break;
    }
    current = video.video_id;
    player.src = root.dataset.mediaBase + encodeURIComponent(video.video_id);
    player.poster = root.dataset.thumbBase + encodeURIComponent(video.video_id);
    title.textContent = video.title;
    title.href = root.dataset.watchBase + encodeURIComponent(video.video_id);
    channel.textContent = video.channel_name;
    channel.href = "/channel/" + encodeURIComponent(video.channel_id);
    document.title = video.title + " · Radio · Patchwork archive";
    player.play().catch(() => {});
  }

  player.addEventListener("ended", () => {
    listened += 1;
    count.value = String(listened);
    if (freeze.checked) {
      player.currentTime = 0;
      player.play().catch(() => {});
    } else {
      next();
    }
  });
  player.addEventListener("timeupdate", () => {
    time.textContent = clock(player.currentTime) + " / " + clock(player.duration);
  });
  document.getElementById("radio-skip").addEventListener("click", (event) => {
    event.preventDefault();
    next();
  });
  volume.addEventListener("input", () => { player.volume = Number(volume.value); });
  picture.addEventListener("change", () => root.classList.toggle("audio-only", !picture.checked));
})();
