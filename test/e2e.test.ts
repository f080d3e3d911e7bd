// The web page end to end: headless Chromium against the real server on a
// small seeded store (a few Pascal categories), on each store kind.
// Screenshots of every step land in test-artifacts/.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { writePolicy } from '../src/graphql/writeProtection.js';
import type { RunningServer } from '../src/http/server.js';
import { serveDuringSuite, startTestServer, type TestApp } from './helpers/app.js';
import { gql } from './helpers/graphql.js';
import { chromiumMissing, launchBrowser, type TestBrowser } from './helpers/browser.js';
import { otherPascalImage, type TestAssets } from './helpers/images.js';
import { storeKinds } from './helpers/stores.js';
import { unlessMissing } from './helpers/suites.js';

const CATEGORIES = ['boat', 'cat', 'dog', 'sofa'];
const PER_CATEGORY = 12;

const gridIds = (page: Page, scope: string) =>
  page.locator(`${scope} .grid li`).evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.imageId!));
const gridCategories = (page: Page, scope: string) =>
  page.locator(`${scope} .grid li`).evaluateAll((items) => items.map((item) => (item as HTMLElement).dataset.category!));

for (const kind of storeKinds()) {
  describe(`web page on ${kind}`, unlessMissing(`web page on ${kind}`, chromiumMissing()), () => {
    let t: TestApp;
    let server: RunningServer;
    let browser: TestBrowser;
    let page: Page;
    let assets: TestAssets;
    /** A dog photo that is not in the store. */
    let newDog: string;
    let addedId: string;

    // After hooks run in the order they are registered: the browser closes before the server.
    after(async () => {
      await browser?.close();
    });
    // Every photo of the small folder (two pages to browse), and a full training
    // run on them, so that "dog" finds dogs.
    serveDuringSuite(
      kind,
      (app, running, photos) => {
        [t, server, assets] = [app, running, photos];
      },
      { photos: { categories: CATEGORIES, perCategory: PER_CATEGORY }, seed: true, env: { IMAGES_LIMIT: '0', TRAIN_EPOCHS: '50' } },
    );
    before(async () => {
      newDog = otherPascalImage('dog', assets.images).file;
      browser = await launchBrowser(`e2e-${kind}`);
      page = browser.page;
    });

    /** The photo's view, once its details (not just the heading) are drawn. */
    async function photoShown(id: string) {
      await page.getByRole('heading', { name: `Photo ${id}` }).waitFor();
      await page.locator('.photo figcaption').waitFor();
    }

    /** Searches from the header and waits for the new answer (not the one on screen before). */
    async function search(text: string) {
      await page.evaluate(() => document.querySelector('.results')?.classList.add('previous'));
      await page.fill('#q', text);
      await page.press('#q', 'Enter');
      await page.locator('.results:not(.previous)').locator('.grid, [role=alert], .empty').first().waitFor();
    }

    test('GET / serves the page with a strict CSP; its assets are content-hashed and cached for good', async () => {
      const response = await fetch(`${server.url}/`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type')!, /^text\/html/);
      assert.match(response.headers.get('content-security-policy')!, /default-src 'self'/);
      assert.equal(response.headers.get('cache-control'), 'no-cache');
      const html = await response.text();
      const assetPaths = [...html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)].map((match) => match[1]!);
      assert.equal(assetPaths.length, 2, html);
      for (const assetPath of assetPaths) {
        const asset = await fetch(`${server.url}${assetPath}`);
        assert.equal(asset.status, 200, assetPath);
        assert.match(asset.headers.get('cache-control')!, /immutable/);
        assert.ok((await asset.text()).length > 1000, assetPath);
      }
      assert.equal((await fetch(`${server.url}/assets/app.0000000000.js`)).status, 404);
    });

    test('the start page loads and lists the categories from the API', async () => {
      await page.goto(`${server.url}/`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      const chips = page.getByRole('list', { name: 'Categories' }).getByRole('link');
      await chips.first().waitFor();
      assert.deepEqual(await chips.allTextContents(), CATEGORIES);
      await browser.screenshot('01-start');
    });

    test('searching "dog" shows dog photos with distances, and related words', async () => {
      await search('dog');
      const ids = await gridIds(page, '.results');
      // The grid ends where the relevance cut ends the list; a link shows the rest.
      const api = await gql(server.url, '{ imagesForText(text: "dog", first: 24, cut: AUTO) { distance matchedCaption image { id category } } }');
      assert.equal(api.errors, undefined);
      const answer = api.data!.imagesForText as { distance: number; matchedCaption: string | null; image: { id: string } }[];
      assert.deepEqual(ids, answer.map((m) => m.image.id), 'the grid shows the API answer (cut: AUTO) in order');
      if (answer.length < 24) {
        const all = (await gql(server.url, '{ imagesForText(text: "dog", first: 24) { image { id } } }')).data!.imagesForText as { image: { id: string } }[];
        await page.getByText(`${all.length - answer.length} more, less similar:`).waitFor();
      }
      const categories = await gridCategories(page, '.results');
      assert.equal(categories[0], 'dog', `first result ${categories[0]}`);
      const dogsInTop10 = categories.slice(0, 10).filter((c) => c === 'dog').length / 10;
      const dogsInStore = 1 / CATEGORIES.length;
      assert.ok(dogsInTop10 >= 2 * dogsInStore, `dogs in the top 10: ${categories.slice(0, 10)}`);
      const distances = (await page.locator('.results .distance').allTextContents()).map((text) => Number(text.replace('distance ', '')));
      assert.deepEqual(distances, answer.map((m) => Number(m.distance.toFixed(2))), 'each photo shows its vector distance');
      // Under each thumbnail, the caption that matched "dog" (none under photos whose captions do not say it).
      const shownCaptions = await page
        .locator('.results .grid li')
        .evaluateAll((items) => items.map((item) => item.querySelector('.matched')?.textContent ?? null));
      assert.deepEqual(shownCaptions, answer.map((m) => m.matchedCaption));
      assert.ok(shownCaptions.filter((c) => c !== null && /\bdogs?\b/i.test(c)).length >= 5, `captions: ${shownCaptions}`);
      // Thumbnails are the server's resized copies, and each has alt text.
      const images = await page.locator('.results .grid img').evaluateAll((imgs) =>
        (imgs as HTMLImageElement[]).map((img) => ({ src: img.getAttribute('src')!, alt: img.alt })),
      );
      for (const image of images) {
        assert.match(image.src, /^\/images\/[^?]+\?w=\d+$/);
        assert.ok(image.alt.length > 3, `alt text for ${image.src}`);
      }
      const firstImage = page.locator('.results .grid img').first();
      await firstImage.scrollIntoViewIfNeeded();
      await page.waitForFunction((img) => (img as HTMLImageElement).complete, await firstImage.elementHandle());
      const naturalWidth = await firstImage.evaluate((img) => (img as HTMLImageElement).naturalWidth);
      assert.ok(naturalWidth > 0 && naturalWidth <= 240, `thumbnail width ${naturalWidth}`);
      await page.getByRole('list', { name: 'Related words' }).getByRole('link', { name: 'puppy' }).waitFor();
      await browser.screenshot('02-search-dog');
    });

    test('"N more, less similar" shows the rest, and "More results" continues after the last photo without repeats', async () => {
      await search('dog');
      const cutLink = page.getByRole('link', { name: 'show them' });
      if (await cutLink.count()) {
        await cutLink.click();
        await page.locator('.results .more button, .results .grid').first().waitFor();
      }
      const api = await gql(server.url, '{ imagesForText(text: "dog", first: 48) { image { id } } }');
      const expected = (api.data!.imagesForText as { image: { id: string } }[]).map((m) => m.image.id);
      await page.locator('.results .grid').first().waitFor();
      assert.deepEqual(await gridIds(page, '.results'), expected.slice(0, 24), 'the whole first page');
      if (expected.length > 24) {
        await page.getByRole('button', { name: 'More results' }).click();
        await page.locator('.results .grid').nth(1).waitFor();
        assert.deepEqual(await gridIds(page, '.results'), expected, 'page 2 continues page 1');
      }
      await browser.screenshot('02b-search-more');
    });

    test('a related word is a link that searches for it', async () => {
      await page.getByRole('list', { name: 'Related words' }).getByRole('link', { name: 'puppy' }).click();
      await page.getByRole('heading', { name: 'Photos for “puppy”' }).waitFor();
      assert.match(page.url(), /#\/search\?q=puppy$/);
      assert.equal(await page.inputValue('#q'), 'puppy');
      await page.locator('.results .grid').waitFor();
      await browser.screenshot('03-word-chip');
    });

    test('clicking a photo shows its captions, tags and similar photos', async () => {
      await search('dog');
      const firstId = (await gridIds(page, '.results'))[0]!;
      await page.locator('.results .grid a').first().click();
      await photoShown(firstId);
      const api = await gql(server.url, 'query ($id: ID!) { image(id: $id) { captions category } }', { id: firstId });
      const captions = await page.locator('.captions li').allTextContents();
      assert.deepEqual(captions, api.data!.image.captions);
      const tags = page.getByRole('list', { name: 'Predicted tags' }).getByRole('link');
      await tags.first().waitFor();
      assert.ok((await tags.count()) >= 1);
      // The similar photos that voted for a tag: small thumbnails, the caption that used the word on hover, as the API says.
      const voted = (
        await gql(server.url, 'query ($id: ID!) { image(id: $id) { tags(first: 8) { word { text } evidence { caption image { id } } } } }', {
          id: firstId,
        })
      ).data!.image.tags.find((tag: { evidence: unknown[] }) => tag.evidence.length > 0) as
        | { word: { text: string }; evidence: { caption: string; image: { id: string } }[] }
        | undefined;
      assert.ok(voted, 'a tag of a dog photo among captioned photos has neighbours that voted');
      const thumbnails = page
        .getByRole('list', { name: 'Predicted tags' })
        .locator('li')
        .filter({ has: page.getByRole('link', { name: voted.word.text, exact: true }) })
        .locator('.evidence img');
      assert.equal(await thumbnails.count(), voted.evidence.length);
      assert.equal(await thumbnails.first().getAttribute('data-image-id'), voted.evidence[0]!.image.id);
      assert.ok((await thumbnails.first().getAttribute('title'))!.includes(voted.evidence[0]!.caption));
      assert.match((await thumbnails.first().getAttribute('src'))!, new RegExp(`^/images/${voted.evidence[0]!.image.id}\\?w=\\d+$`));
      const similar = await gridIds(page, 'main');
      assert.ok(similar.length >= 5, `${similar.length} similar photos`);
      assert.ok(!similar.includes(firstId), 'the photo itself is not among its similar photos');
      const large = page.locator('.photo figure img');
      assert.match((await large.getAttribute('src'))!, new RegExp(`^/images/${firstId}\\?w=\\d+$`));
      assert.ok(((await large.getAttribute('alt')) ?? '').length > 3);
      await browser.screenshot('04-image-view');

      // Walk on: a similar photo opens its own view; a tag searches for itself.
      await page.locator('main .grid a').first().click();
      await photoShown(similar[0]!);
      const tag = page.getByRole('list', { name: 'Predicted tags' }).getByRole('link').first();
      const tagText = (await tag.textContent())!;
      await tag.click();
      await page.getByRole('heading', { name: `Photos for “${tagText}”` }).waitFor();
      await browser.screenshot('05-tag-search');
    });

    test('an unknown word shows what to change; a partly known text says what it left out', async () => {
      await search('qwzx');
      const alert = page.locator('.results [role=alert]');
      assert.match((await alert.textContent())!, /No known words in 'qwzx'/);
      assert.equal(await page.locator('.results .grid').count(), 0);
      await browser.screenshot('06-unknown-word');

      await search('dog qwzx');
      await page.locator('.results .grid').waitFor();
      assert.match((await page.locator('.results .status').textContent())!, /left out: qwzx/);
    });

    const totalCount = async () => (await gql(server.url, '{ images { totalCount } }')).data!.images.totalCount as number;

    test('uploading a photo shows similar photos and tags without storing it', async () => {
      const countBefore = await totalCount();
      await page.getByRole('link', { name: 'Upload a photo' }).click();
      await page.getByRole('heading', { name: 'Search with a photo' }).waitFor();

      // Files that are not photos are refused in words, by the page or by the API.
      await page.setInputFiles('#photo-input', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
      assert.match((await page.locator('.upload-results [role=alert]').textContent())!, /“notes.txt” is not a JPEG, PNG or WebP photo/);
      const truncated = readFileSync(newDog).subarray(0, 2000);
      await page.setInputFiles('#photo-input', { name: 'broken.jpg', mimeType: 'image/jpeg', buffer: truncated });
      // The server's own words, as the API gives them (the decoder's detail may vary).
      const refusal = page.locator('.upload-results [role=alert]', { hasText: "The server said: 'image.base64' is not a readable image" });
      await refusal.waitFor();
      assert.match((await refusal.textContent())!, /“broken.jpg” could not be used as a photo/);
      await browser.screenshot('07a-upload-broken');

      await page.setInputFiles('#photo-input', newDog);
      const tags = page.getByRole('list', { name: 'Tags for your photo' }).getByRole('link');
      await tags.first().waitFor();
      const similar = await gridIds(page, '.upload-results');
      assert.ok(similar.length >= 5, `${similar.length} similar photos`);
      const categories = await gridCategories(page, '.upload-results');
      assert.ok(categories.slice(0, 5).includes('dog'), `a dog among the 5 nearest: ${categories.slice(0, 5)}`);
      assert.equal(await totalCount(), countBefore, 'nothing stored');
      await browser.screenshot('07-upload');
    });

    test('adding the uploaded photo makes it findable at once', async () => {
      const countBefore = await totalCount();
      await page.fill('#add-category', 'dog');
      await page.fill('#add-captions', 'A brown dog in the test upload.\nA second caption.');
      await page.getByRole('button', { name: 'Add to the collection' }).click();
      const note = page.locator('.success');
      await note.waitFor();
      addedId = (await note.getByRole('link').first().textContent())!;
      assert.equal(await totalCount(), countBefore + 1);

      await search('dog');
      // Choosing a category on a results page searches again at once.
      await page.evaluate(() => document.querySelector('.results')?.classList.add('previous'));
      await page.selectOption('#search-category', 'dog');
      await page.getByRole('heading', { name: 'Photos for “dog” in the category dog' }).waitFor();
      await page.locator('.results:not(.previous) .grid').waitFor();
      assert.deepEqual(new Set(await gridCategories(page, '.results')), new Set(['dog']));
      assert.ok((await gridIds(page, '.results')).includes(addedId), `${addedId} found by searching "dog" among dogs`);
      await browser.screenshot('08-added-findable');

      await page.locator(`.results .grid li[data-image-id="${addedId}"] a`).click();
      await photoShown(addedId);
      assert.deepEqual(await page.locator('.captions li').allTextContents(), ['A brown dog in the test upload.', 'A second caption.']);
      await page.selectOption('#search-category', '');
    });

    test('a photo dropped on the page is searched', async () => {
      await page.goto(`${server.url}/#/`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      const bytes = readFileSync(newDog).toString('base64');
      const dataTransfer = await page.evaluateHandle((base64) => {
        const data = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
        const transfer = new DataTransfer();
        transfer.items.add(new File([data], 'dropped.jpg', { type: 'image/jpeg' }));
        return transfer;
      }, bytes);
      await page.dispatchEvent('main', 'drop', { dataTransfer });
      await page.getByRole('heading', { name: 'Search with a photo' }).waitFor();
      await page.getByRole('list', { name: 'Tags for your photo' }).getByRole('link').first().waitFor();
      // Already in the collection since the previous test: the same bytes are the same photo.
      assert.ok((await gridIds(page, '.upload-results')).length >= 5);
      await browser.screenshot('09-dropped');
    });

    test('browsing goes page by page through the whole collection', async () => {
      const total = await totalCount();
      await page.getByRole('link', { name: 'Browse' }).click();
      const status = page.locator('.pager .status').first();
      await status.waitFor();
      assert.match((await status.textContent())!, new RegExp(`Page 1 of ${Math.ceil(total / 24)} · ${total} photos`));
      const first = await gridIds(page, 'main');
      assert.equal(first.length, Math.min(24, total));
      await browser.screenshot('10-browse-page-1');
      await page.getByRole('link', { name: 'Next →' }).first().click();
      await page.locator('.pager .status', { hasText: 'Page 2 of' }).first().waitFor();
      const second = await gridIds(page, 'main');
      assert.equal(second.length, Math.min(24, total - 24));
      assert.equal(second.filter((id) => first.includes(id)).length, 0, 'no photo on both pages');
      await page.getByRole('link', { name: '← Previous' }).first().click();
      await page.locator('.pager .status', { hasText: 'Page 1 of' }).first().waitFor();
      assert.deepEqual(await gridIds(page, 'main'), first);

      await page.selectOption('#browse-category', 'cat');
      await page.getByRole('heading', { name: 'Browse: cat' }).waitFor();
      await page.locator('main .grid').waitFor();
      assert.deepEqual(new Set(await gridCategories(page, 'main')), new Set(['cat']));
      await browser.screenshot('11-browse-cat');
    });

    test('works on a phone-sized screen with the keyboard alone', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${server.url}/`);
      await page.getByRole('heading', { level: 1 }).waitFor();
      await page.keyboard.press('Tab'); // the site name
      await page.keyboard.press('Tab'); // the search box
      assert.equal(await page.evaluate(() => document.activeElement?.id), 'q');
      await page.keyboard.type('cat');
      await page.keyboard.press('Enter');
      await page.locator('.results .grid').waitFor();
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling');
      await browser.screenshot('12-phone-search');
      // Focus moved to the new heading; the first thumbnail is a few tabs on.
      const firstId = (await gridIds(page, '.results'))[0]!;
      for (let i = 0; i < 20; i++) {
        await page.keyboard.press('Tab');
        if (await page.evaluate(() => document.activeElement?.closest('.results .grid') !== null)) break;
      }
      await page.keyboard.press('Enter');
      await photoShown(firstId);
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), 'no sideways scrolling');
      await browser.screenshot('13-phone-image');
      await page.setViewportSize({ width: 1200, height: 900 });
    });

    test("a photo's category and captions are edited on its view, and it is deleted after a confirmation", async () => {
      const image = async () =>
        (await gql(server.url, 'query ($id: ID!) { image(id: $id) { category captions } }', { id: addedId })).data!.image;
      await page.goto(`${server.url}/#/image?id=${addedId}`);
      await photoShown(addedId);
      // The editor opens from the keyboard: it is a disclosure with a summary.
      await page.locator('.edit summary').focus();
      await page.keyboard.press('Enter');
      await page.fill('#edit-category', 'puppy');
      await page.fill('#edit-captions', 'An edited caption.\n\n  Another one. ');
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.locator('.edit .success', { hasText: 'Saved.' }).waitFor();
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Saved.', 'the keyboard stays at the editor');
      assert.deepEqual(await page.locator('.captions li').allTextContents(), ['An edited caption.', 'Another one.']);
      assert.equal(await page.locator('.facts dd a').first().textContent(), 'puppy');
      assert.deepEqual(await image(), { category: 'puppy', captions: ['An edited caption.', 'Another one.'] });
      await browser.screenshot('14-edited');

      // What the API refuses is refused in its words, and nothing changes.
      await page.fill('#edit-category', 'x'.repeat(101));
      await page.getByRole('button', { name: 'Save changes' }).click();
      await page.locator('.edit [role=alert]', { hasText: "'category' is too long" }).waitFor();
      assert.deepEqual(await image(), { category: 'puppy', captions: ['An edited caption.', 'Another one.'] });

      // Delete asks first; Cancel (where the focus goes) keeps the photo.
      const countBefore = await totalCount();
      await page.getByRole('button', { name: 'Delete', exact: true }).click();
      await page.getByText(`Delete photo ${addedId} for good?`).waitFor();
      assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Cancel');
      await browser.screenshot('15-delete-confirm');
      await page.keyboard.press('Enter');
      await page.getByRole('button', { name: 'Delete', exact: true }).waitFor();
      assert.equal(await totalCount(), countBefore, 'cancelled: nothing deleted');

      await page.getByRole('button', { name: 'Delete', exact: true }).click();
      await page.getByRole('button', { name: 'Yes, delete it' }).click();
      await page.getByRole('heading', { name: 'Photo deleted' }).waitFor();
      assert.match((await page.locator('main .success').textContent())!, new RegExp(`Photo ${addedId} was deleted`));
      assert.equal(await totalCount(), countBefore - 1);
      assert.equal(await image(), null);
      await browser.screenshot('16-deleted');
      // Its address (still in the location bar) now says there is no such photo.
      await page.reload();
      await page.locator('main [role=alert]', { hasText: `There is no photo with the id '${addedId}'` }).waitFor();
    });

    test('on a server with WRITE_TOKENS a change asks for the token once, says when it is wrong, and keeps it for the tab', async () => {
      const token = 'e2e-write-token-5b1d';
      const guarded = await startTestServer(t.app, { writes: writePolicy({ env: 'test', writes: { tokens: [token], allowAnonymous: false } }) });
      const tab = await launchBrowser(`e2e-${kind}-token`);
      const photos = ['cat', 'boat', 'sofa'].map((category) => otherPascalImage(category, assets.images).file);
      const dialog = tab.page.getByRole('dialog', { name: 'Write token needed' });
      const addPhoto = async (file: string) => {
        await tab.page.goto(`${guarded.url}/#/upload`);
        await tab.page.setInputFiles('#photo-input', file);
        await tab.page.getByRole('button', { name: 'Add to the collection' }).click();
      };
      try {
        await addPhoto(photos[0]!);
        await dialog.waitFor();
        assert.match((await dialog.locator('.reason').textContent())!, /needs a write token/);
        await tab.screenshot('14-token-asked');
        await tab.page.fill('#write-token', 'not-the-token');
        await dialog.getByRole('button', { name: 'Send' }).click();
        await dialog.locator('.reason', { hasText: 'not accepted' }).waitFor();
        await tab.screenshot('15-token-wrong');
        await tab.page.fill('#write-token', token);
        await dialog.getByRole('button', { name: 'Send' }).click();
        await tab.page.locator('.success').waitFor();
        assert.equal(await tab.page.evaluate(() => sessionStorage.getItem('semsearch.writeToken')), token);

        // The next change in this tab sends the kept token without asking.
        await addPhoto(photos[1]!);
        await tab.page.locator('.success').waitFor();
        assert.equal(await dialog.count(), 0);

        // Cancelled: nothing is stored, and the page says why.
        await tab.page.evaluate(() => sessionStorage.clear());
        const before = await totalCount();
        await addPhoto(photos[2]!);
        await dialog.waitFor();
        await dialog.getByRole('button', { name: 'Cancel' }).click();
        const refusal = tab.page.locator('.add-form [role=alert]');
        await refusal.waitFor();
        assert.match((await refusal.textContent())!, /needs a write token/);
        assert.equal(await totalCount(), before);
        // The refusals (401, 403) are the only failures the browser saw.
        assert.deepEqual(
          tab.pageErrors.filter((error) => !/status of 40[13]/.test(error)),
          [],
        );
      } finally {
        await tab.close();
        await guarded.close();
      }
    });

    test('the duplicates view lists a recompressed copy with its photo, and deletes the copy after a confirmation', async () => {
      const photo = assets.images.find((image) => image.category === 'boat')!;
      const copy = await sharp(readFileSync(photo.file)).jpeg({ quality: 30 }).toBuffer();
      const added = await gql(server.url, 'mutation ($b: String!) { addImage(image: { base64: $b }) { id } }', { b: copy.toString('base64') });
      assert.equal(added.errors, undefined, JSON.stringify(added.errors));
      const copyId = added.data!.addImage.id as string;
      await page.goto(`${server.url}/`);
      await page.getByRole('link', { name: 'Duplicates' }).click();
      const group = page.locator(`.duplicate-group[data-original-id="${photo.id}"]`);
      await group.waitFor();
      assert.deepEqual(await gridIds(page, `.duplicate-group[data-original-id="${photo.id}"]`), [photo.id, copyId], 'the photo to keep, then its copy');
      await browser.screenshot('17-duplicates');
      await group.getByRole('button', { name: 'Delete this copy' }).click();
      await group.getByRole('button', { name: `Yes, delete ${copyId}` }).click();
      await group.getByText(`Copy ${copyId} was deleted.`).waitFor();
      assert.equal((await gql(server.url, `{ image(id: "${copyId}") { id } }`)).data!.image, null);
      await browser.screenshot('18-duplicate-deleted');
    });

    test('the page asked only our server, and nothing failed in it', () => {
      const origin = new URL(server.url).origin;
      for (const url of browser.requests) {
        if (url.startsWith('data:') || url.startsWith('blob:')) continue;
        const parsed = new URL(url);
        assert.equal(parsed.origin, origin, url);
        assert.match(parsed.pathname, /^\/(graphql|readyz|images\/[^/]+|assets\/[\w.]+)?$/, url);
      }
      assert.deepEqual(browser.pageErrors, []);
    });
  });
}
