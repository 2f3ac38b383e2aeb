/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vfpost tracepoints (tracefs events/vfpost/, perf -e 'vfpost:*'):
 *   vfpost_vector_fire    the host handler ran for a vector
 *   vfpost_vector_attach  an eventfd was attached to / detached from a vector
 *   vfpost_vector_mask    VFIO mask/unmask; pending = a replay follows
 *   vfpost_bypass         KVM's consumer connected / disconnected
 */
#undef TRACE_SYSTEM
#define TRACE_SYSTEM vfpost

#if !defined(_VFPOST_TRACE_H) || defined(TRACE_HEADER_MULTI_READ)
#define _VFPOST_TRACE_H

#include <linux/pci.h>
#include <linux/tracepoint.h>

DECLARE_EVENT_CLASS(vfpost_vector_class,
		    TP_PROTO(struct pci_dev *pdev, unsigned int vector, int irq,
			     bool on),
		    TP_ARGS(pdev, vector, irq, on),
		    TP_STRUCT__entry(__field(u32, domain)
				     __field(u8, bus)
				     __field(u8, devfn)
				     __field(u32, vector)
				     __field(int, irq)
				     __field(bool, on)),
		    TP_fast_assign(__entry->domain = pci_domain_nr(pdev->bus);
				   __entry->bus = pdev->bus->number;
				   __entry->devfn = pdev->devfn;
				   __entry->vector = vector;
				   __entry->irq = irq;
				   __entry->on = on;),
		    TP_printk("%04x:%02x:%02x.%u vector=%u irq=%d %s", __entry->domain,
			      __entry->bus, PCI_SLOT(__entry->devfn),
			      PCI_FUNC(__entry->devfn), __entry->vector,
			      __entry->irq, __entry->on ? "on" : "off")
);

DEFINE_EVENT(vfpost_vector_class, vfpost_vector_attach,
	     TP_PROTO(struct pci_dev *pdev, unsigned int vector, int irq,
		      bool on),
	     TP_ARGS(pdev, vector, irq, on));

DEFINE_EVENT(vfpost_vector_class, vfpost_bypass,
	     TP_PROTO(struct pci_dev *pdev, unsigned int vector, int irq,
		      bool on),
	     TP_ARGS(pdev, vector, irq, on));

TRACE_EVENT(vfpost_vector_fire,
	    TP_PROTO(struct pci_dev *pdev, unsigned int vector, int irq),
	    TP_ARGS(pdev, vector, irq),
	    TP_STRUCT__entry(__field(u32, domain)
			     __field(u8, bus)
			     __field(u8, devfn)
			     __field(u32, vector)
			     __field(int, irq)),
	    TP_fast_assign(__entry->domain = pci_domain_nr(pdev->bus);
			   __entry->bus = pdev->bus->number;
			   __entry->devfn = pdev->devfn;
			   __entry->vector = vector;
			   __entry->irq = irq;),
	    TP_printk("%04x:%02x:%02x.%u vector=%u irq=%d", __entry->domain,
		      __entry->bus, PCI_SLOT(__entry->devfn),
		      PCI_FUNC(__entry->devfn), __entry->vector,
		      __entry->irq)
);

TRACE_EVENT(vfpost_vector_mask,
	    TP_PROTO(struct pci_dev *pdev, unsigned int vector, bool masked,
		     bool pending),
	    TP_ARGS(pdev, vector, masked, pending),
	    TP_STRUCT__entry(__field(u32, domain)
			     __field(u8, bus)
			     __field(u8, devfn)
			     __field(u32, vector)
			     __field(bool, masked)
			     __field(bool, pending)),
	    TP_fast_assign(__entry->domain = pci_domain_nr(pdev->bus);
			   __entry->bus = pdev->bus->number;
			   __entry->devfn = pdev->devfn;
			   __entry->vector = vector;
			   __entry->masked = masked;
			   __entry->pending = pending;),
	    TP_printk("%04x:%02x:%02x.%u vector=%u %s pending=%d", __entry->domain,
		      __entry->bus, PCI_SLOT(__entry->devfn),
		      PCI_FUNC(__entry->devfn), __entry->vector,
		      __entry->masked ? "masked" : "unmasked",
		      __entry->pending)
);

#endif /* _VFPOST_TRACE_H */

#undef TRACE_INCLUDE_PATH
#define TRACE_INCLUDE_PATH .
#undef TRACE_INCLUDE_FILE
#define TRACE_INCLUDE_FILE trace
#include <trace/define_trace.h>
