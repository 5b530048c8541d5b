import { ConfigError, badRequest } from '../lib/errors';
import type { Service } from './types';

const norm = (s: string): string => s.trim().replace(/\s+/g, ' ').toUpperCase();
const digits = (s: string): string => s.replace(/\D/g, '');

/**
 * The services sold by subscription (config `services`) and every way an operator names them:
 * our id, the SDP productID/serviceID, Africa's Talking shortCode + keyword, SMS keywords.
 * Ambiguous configuration (two services answering to the same name) stops start-up.
 */
export class ServiceCatalog {
  private readonly byIdMap = new Map<string, Service>();
  private readonly sdpProducts = new Map<string, Service>();
  private readonly sdpServices = new Map<string, Service>();
  private readonly at = new Map<string, Service>();
  private readonly keywords = new Map<string, Service[]>();

  constructor(services: readonly Service[]) {
    const claim = <K>(map: Map<K, Service>, key: K, s: Service, what: string) => {
      const other = map.get(key);
      if (other && other.id !== s.id) throw new ConfigError(`invalid config key services: ${what} is used by both ${other.id} and ${s.id}`);
      map.set(key, s);
    };
    for (const s of services) {
      if (this.byIdMap.has(s.id)) throw new ConfigError(`invalid config key services: service id ${s.id} appears twice`);
      this.byIdMap.set(s.id, s);
      const sdp = s.operators.sdp;
      if (sdp?.productID) claim(this.sdpProducts, sdp.productID, s, `sdp productID ${sdp.productID}`);
      if (sdp?.serviceID) claim(this.sdpServices, sdp.serviceID, s, `sdp serviceID ${sdp.serviceID}`);
      const at = s.operators.africastalking;
      if (at) {
        if (!at.shortCode || !at.keyword) throw new ConfigError(`invalid config key services: ${s.id}.operators.africastalking needs shortCode and keyword`);
        claim(this.at, `${digits(at.shortCode)}|${norm(at.keyword)}`, s, `africastalking ${at.shortCode}/${at.keyword}`);
      }
      for (const k of s.keywords) {
        const list = this.keywords.get(norm(k)) ?? [];
        const clash = list.find((o) => !o.shortCode || !s.shortCode || digits(o.shortCode) === digits(s.shortCode));
        if (clash) throw new ConfigError(`invalid config key services: keyword ${k} is used by both ${clash.id} and ${s.id} on the same short code`);
        list.push(s);
        this.keywords.set(norm(k), list);
      }
    }
  }

  /** Every configured service. */
  all(): Service[] {
    return [...this.byIdMap.values()];
  }

  /** The service with this id, or null. */
  byId(id: string): Service | null {
    return this.byIdMap.get(id) ?? null;
  }

  /** The service with this id; a 400 naming it (and the known ones) otherwise. */
  require(id: string): Service {
    const s = this.byIdMap.get(id);
    if (!s) throw badRequest('UNKNOWN_SERVICE', `Service "${id.slice(0, 64)}" is not configured (known: ${this.known()}).`);
    return s;
  }

  /** The service an SDP notification is about: productID first, serviceID when the product is unknown. */
  bySdp(productID: string | null, serviceID: string | null): Service | null {
    return (productID ? this.sdpProducts.get(productID) : undefined) ?? (serviceID ? this.sdpServices.get(serviceID) : undefined) ?? null;
  }

  /** The service of an Africa's Talking premium product (keyword compared case-insensitively). */
  byAfricasTalking(shortCode: string, keyword: string): Service | null {
    return this.at.get(`${digits(shortCode)}|${norm(keyword)}`) ?? null;
  }

  /** The service an SMS keyword names; when `shortCode` is given, a service with another short code does not match. */
  byKeyword(keyword: string, shortCode?: string | null): Service | null {
    const list = this.keywords.get(norm(keyword));
    if (!list) return null;
    const to = shortCode ? digits(shortCode) : '';
    return list.find((s) => !to || !s.shortCode || digits(s.shortCode) === to) ?? null;
  }

  /** Ids of the configured services, for error messages. */
  known(): string {
    return this.byIdMap.size === 0 ? 'none' : [...this.byIdMap.keys()].join(', ');
  }
}
