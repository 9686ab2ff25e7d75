/**
 * DNS and web sites for a client (SPEC §9, issue 16): `client.web()`. Registering, changing services
 * and publishing need the account; resolving, history and reading sites work for any client,
 * connected ones included.
 */
import { DEFAULT_SERVICE, assertPublicId, assertServiceName, type XorName } from '@safemesh/protocol'
import type { RequestOptions } from '../requests/request-context.js'
import { listPublicIds, publicNameOf, registerPublicId, type RegisterRequests } from './public-names.js'
import { publishSite, type PublishRequests } from './publish.js'
import { readServices, resolveService, switchService } from './services.js'
import { WebSite, type SiteRequests } from './site.js'
import type { PublicName, PublishOptions, PublishResult, ResolveOptions, ServiceRecord, Site, SiteFile } from './types.js'

/** What the web needs of the client (a MeshClient is one). */
export type WebRequests = RegisterRequests & PublishRequests & SiteRequests

export class Web {
  private readonly requests: WebRequests

  constructor (requests: WebRequests) {
    this.requests = requests
  }

  /** Claims `publicId` for this account (`DataExists` when another has it) and records it in `_publicNames`. */
  async register (publicId: string, options: RequestOptions = {}): Promise<PublicName> {
    return await registerPublicId(this.requests, publicId, options)
  }

  /** Points `service` at a tag-15002 directory, as its next version (`AccessDenied` unless the id is this account's). */
  async addService (publicId: string, service: string, directory: XorName, options: RequestOptions = {}): Promise<ServiceRecord> {
    checkNames(publicId, service)
    return await switchService(this.requests, publicId, service, directory, options) as ServiceRecord
  }

  /** Removes a service (its history stays); `NoSuchEntry` when there is none. */
  async removeService (publicId: string, service: string, options: RequestOptions = {}): Promise<void> {
    checkNames(publicId, service)
    await switchService(this.requests, publicId, service, undefined, options)
  }

  /** The public ids this account registered (from `_publicNames`), with their services. */
  async list (options: RequestOptions = {}): Promise<PublicName[]> {
    return await listPublicIds(this.requests, options)
  }

  /** Uploads `files` as a new site and switches the service to it atomically. */
  async publish (files: readonly SiteFile[], target: { publicId: string, service?: string }, options: PublishOptions = {}): Promise<PublishResult> {
    return await publishSite(this.requests, files, target.publicId, target.service ?? DEFAULT_SERVICE, options)
  }

  /** Any public id's current services and every version they pointed at (oldest first); `NoSuchData` when unregistered. */
  async describe (publicId: string, options: RequestOptions = {}): Promise<PublicName & { history: ServiceRecord[] }> {
    assertPublicId(publicId)
    const listing = await readServices(this.requests, publicId, options)
    return { ...publicNameOf(publicId, listing), history: [...listing.history.values()].flat() }
  }

  /** Where a service points (now, or at `version`): `NoSuchData` for an unknown id, `NoSuchEntry` for an unknown service or version. */
  async resolve (publicId: string, service: string = DEFAULT_SERVICE, options: ResolveOptions = {}): Promise<ServiceRecord> {
    checkNames(publicId, service)
    const { version, ...rest } = options
    return await resolveService(this.requests, publicId, service, version, rest)
  }

  /** Every version the service pointed at, oldest first (a removed service keeps its history). */
  async history (publicId: string, service: string = DEFAULT_SERVICE, options: RequestOptions = {}): Promise<ServiceRecord[]> {
    checkNames(publicId, service)
    return (await readServices(this.requests, publicId, options)).history.get(service) ?? []
  }

  /** The site in one directory (what `resolve` gave). */
  site (directory: XorName): Site {
    return new WebSite(this.requests, directory)
  }
}

function checkNames (publicId: string, service: string): void {
  assertPublicId(publicId)
  assertServiceName(service)
}
