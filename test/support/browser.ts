/**
 * Headless Chromium from Debian's `chromium` package, driven by playwright-core (which never
 * downloads a browser). The flags keep it off the network beyond loopback (this machine refuses
 * everything else, and Chromium's background services would try). Screenshots go to a temporary
 * folder whose path the test prints.
 */
import { existsSync } from 'node:fs'
import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'

const CHROMIUM_PATH = process.env.SAFEMESH_CHROMIUM ?? '/usr/bin/chromium'

const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage'
]

export interface TestBrowser {
  readonly browser: Browser
  /** Where this run's screenshots go. */
  readonly shots: string
  /** A fresh page (its own context: no cookies shared with other pages unless `context` is given). */
  page: () => Promise<Page>
  /** Saves a screenshot named `<name>.png` and returns its path. */
  screenshot: (page: Page, name: string) => Promise<string>
  close: () => Promise<void>
}

export async function launchBrowser (): Promise<TestBrowser> {
  if (!existsSync(CHROMIUM_PATH)) throw new Error(`no Chromium at ${CHROMIUM_PATH}: install Debian's chromium package (apt-get install chromium), as .ci/run does`)
  const shots = await mkdtemp(join(tmpdir(), 'safemesh-shots-'))
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: FLAGS })
  process.stderr.write(`screenshots: ${shots}\n`)
  return {
    browser,
    shots,
    page: async () => await (await browser.newContext()).newPage(),
    screenshot: async (page, name) => {
      const path = join(shots, `${name}.png`)
      await page.screenshot({ path, fullPage: true })
      return path
    },
    close: async () => { await browser.close() }
  }
}
