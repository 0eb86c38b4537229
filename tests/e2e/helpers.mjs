// Shared by the end-to-end specs.

/** The last evaluated epoch the page shows ("… after epoch N"), as a poll function. */
export const epochShown = (page) => async () =>
  Number(((await page.locator('#accuracy').textContent()).match(/after epoch (\d+)/) || [0, 0])[1]);
